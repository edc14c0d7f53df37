/**
 * A fixed-window counter per key (a client address): enough to stop one source hammering an endpoint.
 * In-process; replicas sharing limits come with the Redis store.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** `undefined` when allowed, else the seconds until the window resets. */
  hit(key: string, now = Date.now()): number | undefined {
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.#windows.set(key, window);
      if (this.#windows.size > 10_000) this.#sweep(now);
    }
    window.count += 1;
    return window.count > this.max ? Math.ceil((window.resetAt - now) / 1000) : undefined;
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }
}

export function tooManyRequests(retryAfterSeconds: number): Response {
  return Response.json(
    { error: 'too_many_requests', error_description: 'Too many requests from this address; try again later' },
    { status: 429, headers: { 'Retry-After': String(retryAfterSeconds), 'Cache-Control': 'no-store' } },
  );
}
