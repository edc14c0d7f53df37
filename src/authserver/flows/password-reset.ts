import { randomBytes } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { tokenHash } from '../../resource/token-cache.js';
import type { Store } from '../../store/contract/store.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { clientAddress } from '../../util/client-address.js';
import type { TrustedProxies } from '../../util/trusted-proxies.js';
import { HttpError } from '../../util/http-error.js';
import { AccountError, accountLabel, checkPassword, type Accounts } from '../people/accounts.js';
import type { Csrf } from '../web/csrf.js';
import { postedForm } from '../web/forms.js';
import { pageResponse, seeOther } from '../web/html.js';
import { resetLinkInvalidPage, resetPasswordPage } from '../pages/reset-view.js';

const RESET = 'PasswordReset';
const RESET_TTL_SECONDS = 24 * 3600;

/**
 * A one-time link an admin hands to someone to set a new password. Like the setup link, the token is stored only
 * as a hash, works once and for 24 hours; a newer link for the same account does not cancel an older one.
 */
export async function createResetLink(store: Store, userId: string, resetUrl: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await store.set(RESET, tokenHash(token), { userId, createdAt: Date.now() }, RESET_TTL_SECONDS);
  return `${resetUrl}?token=${token}`;
}

export interface PasswordResetDeps {
  store: Store;
  accounts: Accounts;
  csrf: Csrf;
  audit: AuditLog;
  origin: string;
  basePath: string;
  trustProxy: TrustedProxies;
}

/** 404 for a link that does not work, rendered as the page that says so. */
class ResetLinkError extends HttpError {
  override readonly name: string = 'ResetLinkError';
  constructor() {
    super(404, 'invalid_link', 'The password-reset link is invalid, used or expired');
  }
}

export function mountPasswordReset(app: Hono, deps: PasswordResetDeps): void {
  const path = `${deps.basePath}/reset`;
  const holder = async (token: string | undefined) => {
    const record = token ? await deps.store.get<{ userId: string }>(RESET, tokenHash(token)) : undefined;
    if (record?.consumedAt) return undefined;
    const user = record && (await deps.accounts.findById(record.value.userId));
    return user && !user.disabled ? user : undefined;
  };
  const render = (c: Context, token: string, account: string, error?: string, status = 200) =>
    pageResponse(
      resetPasswordPage({ action: `${path}?token=${encodeURIComponent(token)}`, csrf: deps.csrf.token(c, `reset:${token}`), account, error }),
      status,
    );

  app.get(path, async (c) => {
    const token = c.req.query('token') ?? '';
    const user = await holder(token);
    if (!user) return pageResponse(resetLinkInvalidPage(), new ResetLinkError().status);
    return render(c, token, accountLabel(user));
  });

  app.post(path, async (c) => {
    const token = c.req.query('token') ?? '';
    const form = await postedForm(c, deps.origin, deps.csrf, `reset:${token}`);
    const user = await holder(token);
    if (!user) return pageResponse(resetLinkInvalidPage(), new ResetLinkError().status);
    const password = form['password'] ?? '';
    try {
      // Checked before the link is spent, so a too-short password does not cost the person their link.
      checkPassword(password);
      if (!(await deps.store.consume(RESET, tokenHash(token)))) return pageResponse(resetLinkInvalidPage(), 404);
      await deps.accounts.setPassword(user.id, password);
      await deps.store.delete(RESET, tokenHash(token));
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return render(c, token, accountLabel(user), error.message, 400);
    }
    await deps.audit.record({ type: 'account.password_reset', subject: user.id, address: clientAddress(c, deps.trustProxy), reason: 'reset link' });
    return seeOther(`${deps.basePath}/account`);
  });
}
