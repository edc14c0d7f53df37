import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What parts of the server deep below the HTTP layer report about the request they are serving
 * (a token issued by the authorization server, a verification answered from cache). The HTTP app
 * runs every request inside its own server's observer, so several servers in one process never
 * count each other's events, and the reporting code needs no handle on any server.
 */
export interface RequestObserver {
  tokenIssued(grantType: string): void;
  verificationCache(result: 'hit' | 'miss'): void;
}

const current = new AsyncLocalStorage<RequestObserver>();

/** Run `fn` (one request) with `observer` receiving whatever it reports. */
export function observeRequest<T>(observer: RequestObserver, fn: () => T): T {
  return current.run(observer, fn);
}

/** Grant types oidc-provider may report; anything else is counted as `other` so the label stays bounded. */
const GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:openid:params:grant-type:ciba',
]);

/** A token response was sent (oidc-provider's `grant.success`). */
export function countTokenIssued(grantType: unknown): void {
  current.getStore()?.tokenIssued(typeof grantType === 'string' && GRANT_TYPES.has(grantType) ? grantType : 'other');
}

/** A token verification was answered from cache (`hit`) or had to ask the authorization server (`miss`). */
export function countVerificationCache(result: 'hit' | 'miss'): void {
  current.getStore()?.verificationCache(result);
}
