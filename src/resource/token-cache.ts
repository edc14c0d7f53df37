import { hash } from 'node:crypto';
import type { TokenVerifier, VerifiedToken } from './verifier.js';

/** SHA-256 of a token: the only form in which a token is ever kept as a key. */
export function tokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

/**
 * A bounded cache with a per-entry expiry, keyed by token hash. When full, the oldest entry goes.
 * Concurrent lookups of the same missing key share one load (single flight).
 */
export class TokenCache<T> {
  readonly #entries = new Map<string, { value: T; expiresAtMs: number }>();
  readonly #loading = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now = Date.now()): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAtMs: Date.now() + ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** Return the cached value, or run `load` once for all concurrent callers; `load` decides what is cached. */
  async getOrLoad(key: string, load: () => Promise<T>): Promise<T> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.#loading.get(key);
    if (pending) return pending;
    const promise = load().finally(() => this.#loading.delete(key));
    this.#loading.set(key, promise);
    return promise;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/**
 * `cached` and `verify` for a verifier that remembers its answers: by token hash, one check for concurrent
 * callers, each answer kept until the token expires or `maxMs` has passed, whichever comes first.
 */
export function rememberedVerification(
  cache: TokenCache<VerifiedToken>,
  maxMs: number,
  verifyNow: (token: string) => Promise<VerifiedToken>,
): Pick<TokenVerifier, 'cached' | 'verify'> {
  return {
    cached: (token) => cache.get(tokenHash(token)),
    verify(token) {
      const key = tokenHash(token);
      return cache.getOrLoad(key, async () => {
        const verified = await verifyNow(token);
        cache.set(key, verified, Math.min(maxMs, verified.expiresAt * 1000 - Date.now()));
        return verified;
      });
    },
  };
}
