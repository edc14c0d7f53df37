import { createHash, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';
const digest = (secret: string) => `${PREFIX}${createHash('sha256').update(secret).digest('base64url')}`;

/** Whether a stored secret is already a hash (records from before hashing hold the plaintext). */
export function isHashedSecret(stored: string): boolean {
  return stored.startsWith(PREFIX) && stored.length === PREFIX.length + 43;
}

/**
 * Client secrets are kept as their SHA-256 (they are 256-bit random strings, so a fast hash is enough): a copy of
 * the store lets nobody authenticate as a client. The plaintext is shown once, when the client is created.
 */
export function hashClientSecret(secret: string): string {
  return isHashedSecret(secret) ? secret : digest(secret);
}

/** Whether a presented secret is the one stored, in constant time. Presenting the stored hash itself never matches. */
export function clientSecretMatches(stored: string | undefined, presented: string | undefined): boolean {
  if (!stored || !presented) return false;
  const expected = Buffer.from(hashClientSecret(stored));
  const actual = Buffer.from(digest(presented));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
