import type { Store } from '../store/store.js';

/**
 * A fixed-window limit per key (a client address), counted in the store so every replica sharing it
 * enforces one limit.
 */
export class RateLimiter {
  constructor(
    private readonly store: Store,
    private readonly name: string,
    private readonly max: number,
    private readonly windowSeconds: number,
  ) {}

  /** `undefined` when allowed, else the seconds until the window resets. */
  async hit(key: string): Promise<number | undefined> {
    const { count, resetInMs } = await this.store.increment(`${this.name}:${key}`, this.windowSeconds);
    return count > this.max ? Math.max(1, Math.ceil(resetInMs / 1000)) : undefined;
  }
}

export function tooManyRequests(retryAfterSeconds: number): Response {
  return Response.json(
    { error: 'too_many_requests', error_description: 'Too many requests from this address; try again later' },
    { status: 429, headers: { 'Retry-After': String(retryAfterSeconds), 'Cache-Control': 'no-store' } },
  );
}
