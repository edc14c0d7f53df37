/**
 * Why a request was refused, for its log line, when what refused it answers on the Node response directly and
 * cannot reach the app's request context (oidc-provider's endpoints): noted against the Node request, which the
 * request log reads once the response is sent.
 */
const reasons = new WeakMap<object, string>();

export function noteRefusal(request: object, reason: string): void {
  reasons.set(request, reason);
}

export function refusalOf(request: object | undefined): string | undefined {
  return request === undefined ? undefined : reasons.get(request);
}
