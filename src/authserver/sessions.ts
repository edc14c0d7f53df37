import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Csrf } from './csrf.js';

const TTL_SECONDS = 8 * 3600;

/**
 * The account-page sign-in: a signed cookie holding `userId:expiry:nonce`. `__Host-` (Secure, path /, no
 * domain) wherever browsers allow Secure cookies: https, and http on localhost.
 */
export class AccountSessions {
  readonly cookieName: string;

  constructor(
    private readonly csrf: Csrf,
    private readonly secure: boolean,
  ) {
    this.cookieName = secure ? '__Host-gatehouse_account' : 'gatehouse_account';
  }

  read(c: Context): { userId: string; raw: string } | undefined {
    const raw = getCookie(c, this.cookieName);
    const value = this.csrf.unsign(raw);
    if (!value || !raw) return undefined;
    const [userId, expiry] = value.split(':');
    if (!userId || !(Number(expiry) > Date.now() / 1000)) return undefined;
    return { userId, raw };
  }

  start(c: Context, userId: string): void {
    const value = this.csrf.sign(`${userId}:${Math.floor(Date.now() / 1000) + TTL_SECONDS}:${randomUUID()}`);
    setCookie(c, this.cookieName, value, { path: '/', httpOnly: true, secure: this.secure, sameSite: 'Lax', maxAge: TTL_SECONDS });
  }

  end(c: Context): void {
    deleteCookie(c, this.cookieName, { path: '/', secure: this.secure });
  }
}

/** Copy cookies set on the Hono context onto a response built by hand. */
export function withContextCookies(c: Context, response: Response): Response {
  for (const cookie of c.res.headers.getSetCookie()) response.headers.append('Set-Cookie', cookie);
  return response;
}
