import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { CookiePolicy } from './cookies.js';

const BROWSER_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF tokens: an HMAC, under the cookie key, of what the form is bound to (an interaction, an account session,
 * a setup link) and of a random value that only this browser holds, in a `__Host-` cookie. A token read from one
 * browser is worthless in another, and no token is shared by every visitor.
 */
export class Csrf {
  readonly cookieName: string;
  readonly #browserValues = new WeakMap<Request, { value: string; fresh: boolean }>();

  constructor(
    private readonly secret: string,
    private readonly cookies: CookiePolicy,
  ) {
    this.cookieName = cookies.name('gatehouse_csrf');
  }

  /** For every page route: give the browser its random value when it has none yet. */
  browserValue(): MiddlewareHandler {
    return async (c, next) => {
      // Several page patterns can match one path (`/account/*` matches `/account`): the first one decides.
      if (this.#browserValues.has(c.req.raw)) return next();
      const held = getCookie(c, this.cookieName);
      const fresh = held === undefined || !BROWSER_VALUE.test(held);
      const value = fresh ? randomBytes(32).toString('base64url') : held;
      this.#browserValues.set(c.req.raw, { value, fresh });
      await next();
      // Set after the handler: its own hand-built response is the one that must carry the cookie.
      if (fresh) setCookie(c, this.cookieName, value, this.cookies.options());
    };
  }

  token(c: Context, binding: string): string {
    const browser = this.#browserValues.get(c.req.raw);
    if (!browser) throw new Error('CSRF tokens are only made on page routes');
    return this.#mac(browser.value, binding);
  }

  /** The token was made for this binding in this browser (a browser that just got its value has no token yet). */
  valid(c: Context, binding: string, presented: unknown): boolean {
    const browser = this.#browserValues.get(c.req.raw);
    if (typeof presented !== 'string' || !browser || browser.fresh) return false;
    const expected = Buffer.from(this.#mac(browser.value, binding));
    const actual = Buffer.from(presented);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  #mac(browserValue: string, binding: string): string {
    return createHmac('sha256', this.secret).update(`csrf:${browserValue}:${binding}`).digest('base64url');
  }
}

/**
 * Why a form POST is not from one of our own pages, judged from headers alone, before the body is read:
 * an `Origin` other than ours, `null` included (our pages send `Referrer-Policy: same-origin`, under which a
 * browser sends its real origin on a same-origin post); without `Origin`, a `Sec-Fetch-Site` other than
 * `same-origin` (a sibling subdomain is another origin too). Neither header (a non-browser client): the CSRF
 * token decides.
 */
export function crossSiteReason(headers: Headers, origin: string): string | undefined {
  const sent = headers.get('origin');
  if (sent !== null) return sent === origin ? undefined : `Origin ${sent}`;
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site ${site}`;
  return undefined;
}
