import { createHmac, timingSafeEqual } from 'node:crypto';

/** CSRF tokens: an HMAC of what the form is bound to (an interaction, an account session), under the cookie key. */
export class Csrf {
  constructor(private readonly secret: string) {}

  token(binding: string): string {
    return createHmac('sha256', this.secret).update(`csrf:${binding}`).digest('base64url');
  }

  valid(binding: string, presented: unknown): boolean {
    if (typeof presented !== 'string') return false;
    const expected = Buffer.from(this.token(binding));
    const actual = Buffer.from(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  /** Sign a value for a cookie: `value.signature`. */
  sign(value: string): string {
    return `${value}.${createHmac('sha256', this.secret).update(`cookie:${value}`).digest('base64url')}`;
  }

  /** The value inside a signed cookie, or undefined when it was tampered with. */
  unsign(signed: string | undefined): string | undefined {
    if (!signed) return undefined;
    const dot = signed.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const value = signed.slice(0, dot);
    const expected = Buffer.from(this.sign(value));
    const actual = Buffer.from(signed);
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? value : undefined;
  }
}

/**
 * A browser POST from another site is refused before anything else is read. Our pages send
 * `Referrer-Policy: no-referrer`, under which browsers serialize their own origin as `null`, so `null`
 * proves nothing either way and the CSRF token decides.
 */
export function sameOrigin(originHeader: string | undefined, origin: string): boolean {
  return originHeader === undefined || originHeader === 'null' || originHeader === origin;
}
