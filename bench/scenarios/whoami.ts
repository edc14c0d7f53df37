import type { HttpRequestSpec } from '../common.js';

/** `tools/call whoami` on the stateless 2025-11-25 path: one POST, no initialize, as the protected-endpoint tests send it. */
export const WHOAMI_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

export function whoamiRequests(path: string, tokens: Array<string | undefined>): HttpRequestSpec[] {
  return tokens.map((token) => ({
    method: 'POST',
    path,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-11-25',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    body: WHOAMI_BODY,
  }));
}

/** Send one request and insist on a real tool result, so no target is measured answering errors. */
export async function checkWhoami(url: string, request: HttpRequestSpec, expect: RegExp): Promise<void> {
  const response = await fetch(new URL(request.path, url), { method: request.method, headers: request.headers, body: request.body });
  const text = await response.text();
  if (response.status !== 200 || !expect.test(text)) throw new Error(`${url}: expected a whoami result, got ${response.status} ${text.slice(0, 300)}`);
}
