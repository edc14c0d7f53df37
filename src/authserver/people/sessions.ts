import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type Provider from 'oidc-provider';
import { tokenHash } from '../../resource/token-cache.js';
import type { Store } from '../../store/contract/store.js';
import type { CookiePolicy } from '../web/cookies.js';
import { nodeBindings } from '../web/koa-bridge.js';
import { indexSession } from './session-index.js';

const TTL_SECONDS = 8 * 3600;
const ACCOUNT_SESSION = 'AccountSession';

interface AccountSessionRecord {
  userId: string;
  createdAt: number;
}

/**
 * The account-page sign-in: the cookie holds a random id, the session lives in the store under the id's hash.
 * Ending it there (sign-out, or every session of a person when they are disabled or change their password) makes
 * any copy of the cookie worthless, on every replica.
 */
export class AccountSessions {
  readonly cookieName: string;

  constructor(
    private readonly store: Store,
    private readonly cookies: CookiePolicy,
  ) {
    this.cookieName = cookies.name('gatehouse_account');
  }

  /** This browser's live session: its person, and an id safe to bind CSRF tokens to. */
  async read(c: Context): Promise<{ userId: string; id: string } | undefined> {
    const raw = getCookie(c, this.cookieName);
    if (!raw) return undefined;
    const id = tokenHash(raw);
    const record = await this.store.get<AccountSessionRecord>(ACCOUNT_SESSION, id);
    return record ? { userId: record.value.userId, id } : undefined;
  }

  async start(c: Context, userId: string): Promise<void> {
    const raw = randomBytes(32).toString('base64url');
    const id = tokenHash(raw);
    await this.store.set(ACCOUNT_SESSION, id, { userId, createdAt: Date.now() } satisfies AccountSessionRecord, TTL_SECONDS);
    await indexSession(this.store, userId, ACCOUNT_SESSION, id, TTL_SECONDS);
    setCookie(c, this.cookieName, raw, this.cookies.options(TTL_SECONDS));
  }

  async end(c: Context): Promise<void> {
    const raw = getCookie(c, this.cookieName);
    if (raw) await this.store.delete(ACCOUNT_SESSION, tokenHash(raw));
    deleteCookie(c, this.cookieName, this.cookies.options());
  }
}

/**
 * End oidc-provider's session in this browser (the one that lets apps get codes without a sign-in). Its
 * refresh tokens are not bound to it, so the apps stay connected until they are disconnected.
 */
export async function endProviderSession(provider: Provider, c: Context): Promise<void> {
  const { incoming, outgoing } = nodeBindings(c);
  const cookies = provider.createContext(incoming, outgoing).cookies;
  const id = cookies.get(provider.cookieName('session'), { signed: true });
  const session = id ? await provider.Session.find(id) : undefined;
  await session?.destroy();
}

/** Copy cookies set on the Hono context onto a response built by hand. */
export function withContextCookies(c: Context, response: Response): Response {
  for (const cookie of c.res.headers.getSetCookie()) response.headers.append('Set-Cookie', cookie);
  return response;
}
