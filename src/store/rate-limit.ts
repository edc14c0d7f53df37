import { isIP } from 'node:net';
import type { Store } from './contract/store.js';

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

/**
 * The key a client address is counted under: an IPv4 address as it is, an IPv6 address by its /64 prefix (one
 * subscriber commonly holds a whole /64, and would otherwise get a fresh limit for each of its addresses).
 */
export function rateLimitKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  if (isIP(address) !== 6) return address;
  const groups = expandIpv6(address);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, each as four hex digits. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  if (right.length && /\./.test(right[right.length - 1]!)) right.splice(-1, 1, '0', '0'); // embedded IPv4 tail: its bits are past /64
  const missing = 8 - left.length - right.length;
  return [...left, ...Array(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => g.padStart(4, '0').toLowerCase());
}
