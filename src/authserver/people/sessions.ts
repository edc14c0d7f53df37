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
  /** When the person last proved it is them again (their password), for actions that ask for that. */
  confirmedAt?: number;
}

/** How long a re-authentication covers destructive admin actions. */
export const CONFIRMATION_SECONDS = 5 * 60;

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
  async read(c: Context): Promise<{ userId: string; id: string; confirmedAt?: number } | undefined> {
    const raw = getCookie(c, this.cookieName);
    if (!raw) return undefined;
    const id = tokenHash(raw);
    const record = await this.store.get<AccountSessionRecord>(ACCOUNT_SESSION, id);
    return record ? { userId: record.value.userId, id, ...(record.value.confirmedAt && { confirmedAt: record.value.confirmedAt }) } : undefined;
  }

  /** Note that the person just re-authenticated in this session (it keeps its original expiry). */
  async confirm(id: string): Promise<void> {
    const record = await this.store.get<AccountSessionRecord>(ACCOUNT_SESSION, id);
    if (!record) return;
    const remaining = Math.ceil(TTL_SECONDS - (Date.now() - record.value.createdAt) / 1000);
    if (remaining > 0) await this.store.set(ACCOUNT_SESSION, id, { ...record.value, confirmedAt: Date.now() }, remaining);
  }

  /** A new session; `confirmed` when the sign-in that starts it counts as a re-authentication (a password, just now). */
  async start(c: Context, userId: string, options: { confirmed?: boolean } = {}): Promise<void> {
    const raw = randomBytes(32).toString('base64url');
    const id = tokenHash(raw);
    const now = Date.now();
    const record: AccountSessionRecord = { userId, createdAt: now, ...(options.confirmed && { confirmedAt: now }) };
    await this.store.set(ACCOUNT_SESSION, id, record, TTL_SECONDS);
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
