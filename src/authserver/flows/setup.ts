import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { tokenHash } from '../../resource/token-cache.js';
import type { Store } from '../../store/contract/store.js';
import { AccountError, type Accounts } from '../people/accounts.js';
import type { Csrf } from '../web/csrf.js';
import { postedForm } from '../web/forms.js';
import { pageResponse, seeOther } from '../web/html.js';
import { setupPage } from '../pages/views.js';
import { SetupLinkError } from '../pages/page-errors.js';
import { withContextCookies, type AccountSessions } from '../people/sessions.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { clientAddress } from '../../util/client-address.js';
import type { TrustedProxies } from '../../util/trusted-proxies.js';

const SETUP = 'SetupToken';
const SETUP_TTL_SECONDS = 24 * 3600;

/**
 * First-user setup: while there are no accounts, a one-time link (printed at start) lets the first person
 * create theirs, which is an admin. The token is stored only as a hash, works once, and stops working as soon as any account exists.
 */
export async function createSetupLink(store: Store, accounts: Accounts, setupUrl: string): Promise<string | undefined> {
  if ((await accounts.count()) > 0) return undefined;
  const token = randomBytes(24).toString('base64url');
  await store.set(SETUP, tokenHash(token), { createdAt: Date.now() }, SETUP_TTL_SECONDS);
  return `${setupUrl}?token=${token}`;
}

export interface SetupDeps {
  store: Store;
  accounts: Accounts;
  sessions: AccountSessions;
  csrf: Csrf;
  origin: string;
  basePath: string;
  audit: AuditLog;
  trustProxy: TrustedProxies;
  logger: Logger;
}

export function mountSetup(app: Hono, deps: SetupDeps): void {
  const path = `${deps.basePath}/setup`;
  const usable = async (token: string | undefined) =>
    token !== undefined && token.length > 0 && (await deps.accounts.count()) === 0 && (await deps.store.get(SETUP, tokenHash(token))) !== undefined;
  // Once an account exists every link is spent: the page then says so and points at the account page.
  const expired = async () => new SetupLinkError({ used: (await deps.accounts.count()) > 0, accountPage: `${deps.basePath}/account` });
  const render = (c: Context, token: string, error?: string, email?: string, status = 200) =>
    pageResponse(setupPage({ action: `${path}?token=${encodeURIComponent(token)}`, csrf: deps.csrf.token(c, `setup:${token}`), error, email }), status);

  app.get(path, async (c) => {
    const token = c.req.query('token');
    if (!(await usable(token))) throw await expired();
    return render(c, token!);
  });

  app.post(path, async (c) => {
    const token = c.req.query('token') ?? '';
    const form = await postedForm(c, deps.origin, deps.csrf, `setup:${token}`);
    if (!(await usable(token))) throw await expired();
    const email = typeof form['email'] === 'string' ? form['email'] : '';
    const password = typeof form['password'] === 'string' ? form['password'] : '';
    // Claim the link before creating the account, so two submissions cannot both create one.
    if (!(await deps.store.consume(SETUP, tokenHash(token)))) throw await expired();
    try {
      // Whoever sets the server up runs it: the first account is an admin.
      const user = await deps.accounts.create(email, password, { admin: true });
      await deps.store.delete(SETUP, tokenHash(token));
      await deps.audit.record({ type: 'setup.completed', subject: user.id, address: clientAddress(c, deps.trustProxy) });
      await deps.sessions.start(c, user.id);
      return withContextCookies(c, seeOther(`${deps.basePath}/account`));
    } catch (error) {
      // Give the link back so the person can correct the form.
      await deps.store.set(SETUP, tokenHash(token), { createdAt: Date.now() }, SETUP_TTL_SECONDS);
      const message = error instanceof AccountError ? error.message : 'The account could not be created';
      return render(c, token, message, email, 400);
    }
  });
}
