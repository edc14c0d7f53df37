/** Rules shared by every backend, so a value or TTL behaves the same whichever store is configured. */

/**
 * Absolute expiry (ms since epoch) for a TTL in seconds. Fractional seconds are allowed (0.05 = 50 ms);
 * zero or a negative TTL yields a record that is already expired. Non-finite TTLs are a caller bug.
 */
export function expiryFor(ttlSeconds: number | undefined, now: number): number | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isFinite(ttlSeconds)) throw new RangeError(`TTL must be a finite number of seconds, got ${ttlSeconds}`);
  return now + Math.round(ttlSeconds * 1000);
}

/** A record with this expiry is still live at `now`. */
export function isLive(expiresAt: number | undefined | null, now: number): boolean {
  return expiresAt === undefined || expiresAt === null || expiresAt > now;
}

/**
 * Values are stored as JSON everywhere (the memory store too), so tests see exactly what a persistent
 * backend would return: no shared references, Dates become strings, and unserialisable values fail early.
 */
export function encodeValue(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('store values must be JSON-serialisable (got undefined or a function)');
  return json;
}

export function decodeValue<T>(json: string): T {
  return JSON.parse(json) as T;
}

/**
 * The record a group member names: `<kind>:<id>`, split at the first colon (ids may contain colons, kinds may not).
 * Undefined for a member without a colon, which names no record.
 */
export function splitMember(member: string): { kind: string; id: string } | undefined {
  const colon = member.indexOf(':');
  if (colon < 0) return undefined;
  return { kind: member.slice(0, colon), id: member.slice(colon + 1) };
}

/** A rate-limit window in whole milliseconds (at least 1). Windows must be positive and finite. */
export function windowMsFor(windowSeconds: number): number {
  if (!Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`window must be a positive finite number of seconds, got ${windowSeconds}`);
  }
  return Math.max(1, Math.round(windowSeconds * 1000));
}
