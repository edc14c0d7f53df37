import type { Hono } from 'hono';
import { RateLimiter, rateLimitKey } from '../../store/rate-limit.js';
import type { Store } from '../../store/contract/store.js';
import { clientAddress } from '../../util/client-address.js';
import { TooManyRequestsError } from '../../util/http-error.js';
import type { TrustedProxies } from '../../util/trusted-proxies.js';
import { EMBEDDED_DEFAULTS } from './defaults.js';

export interface AddressLimitOptions {
  authorizationRequestsPerMinute?: number;
  registrationsPerHour?: number;
  tokenRequestsPerMinute?: number;
  introspectionRequestsPerMinute?: number;
}

/** One limited endpoint: its path under the base path, its limiter, and the methods counted. */
export type AddressLimits = Array<[string, RateLimiter, string[]]>;

/**
 * Limits per client address, shared by replicas through the store; each endpoint answers 429 with Retry-After.
 * Authorization requests are unauthenticated and each leaves an Interaction record for its lifetime (10
 * minutes): the limit also bounds the records one address can leave to about 11 minutes' worth.
 */
export function addressLimits(store: Store, options: AddressLimitOptions): AddressLimits {
  return [
    [
      '/auth',
      new RateLimiter(store, 'authorization', options.authorizationRequestsPerMinute ?? EMBEDDED_DEFAULTS.authorizationRequestsPerMinute, 60),
      ['GET', 'POST'],
    ],
    ['/reg', new RateLimiter(store, 'registration', options.registrationsPerHour ?? EMBEDDED_DEFAULTS.registrationsPerHour, 3600), ['POST']],
    ['/token', new RateLimiter(store, 'token', options.tokenRequestsPerMinute ?? EMBEDDED_DEFAULTS.tokenRequestsPerMinute, 60), ['POST']],
    ['/token/revocation', new RateLimiter(store, 'token', options.tokenRequestsPerMinute ?? EMBEDDED_DEFAULTS.tokenRequestsPerMinute, 60), ['POST']],
    [
      '/token/introspection',
      new RateLimiter(store, 'introspection', options.introspectionRequestsPerMinute ?? EMBEDDED_DEFAULTS.introspectionRequestsPerMinute, 60),
      ['POST'],
    ],
  ];
}

/** The limiters come first: the provider answers these endpoints itself and never passes the request on. */
export function mountAddressLimits(app: Hono, basePath: string, limits: AddressLimits, trustProxy: TrustedProxies): void {
  for (const [path, limiter, methods] of limits) {
    app.on(methods, `${basePath}${path}`, async (c, next) => {
      const retryAfter = await limiter.hit(rateLimitKey(clientAddress(c, trustProxy)));
      if (retryAfter !== undefined) throw new TooManyRequestsError('Too many requests from this address; try again later', retryAfter);
      await next();
    });
  }
}
