import type { Context } from 'hono';
import { ForbiddenError } from '../../util/http-error.js';
import type { Accounts, PublicUser } from '../people/accounts.js';
import { CONFIRMATION_SECONDS, type AccountSessions } from '../people/sessions.js';
import { crossSiteReason, type Csrf } from '../web/csrf.js';
import { CrossSiteFormError, postedForm } from '../web/forms.js';

/** A signed-in admin on this request: who, their session, and the CSRF token every console form carries. */
export interface AdminRequest {
  admin: PublicUser;
  sessionId: string;
  csrf: string;
  /** The password was checked again within CONFIRMATION_SECONDS: changes may go ahead. */
  confirmed: boolean;
}

/** Not an admin (or no longer one): every console route, read or write, answers 403. */
export class NotAdminError extends ForbiddenError {
  override readonly name: string = 'NotAdminError';
  constructor() {
    super('This page is for the admins of this server');
  }
}

export interface AdminAccessDeps {
  accounts: Accounts;
  sessions: AccountSessions;
  csrf: Csrf;
  origin: string;
}

/** The console's door: the role is read from the account on every request, so a revoked admin is out at once. */
export class AdminAccess {
  constructor(private readonly deps: AdminAccessDeps) {}

  /** The admin of this browser's session; undefined when nobody is signed in; NotAdminError for anyone else. */
  async current(c: Context): Promise<AdminRequest | undefined> {
    const session = await this.deps.sessions.read(c);
    if (!session) return undefined;
    const user = await this.deps.accounts.findById(session.userId);
    if (!user || user.disabled || !user.admin) throw new NotAdminError();
    const confirmed = session.confirmedAt !== undefined && Date.now() - session.confirmedAt < CONFIRMATION_SECONDS * 1000;
    return { admin: user, sessionId: session.id, csrf: this.deps.csrf.token(c, binding(session.id)), confirmed };
  }

  /** A console page: an admin, or 403 (a browser with no session at all is asked to sign in by the caller). */
  async require(c: Context): Promise<AdminRequest> {
    const admin = await this.current(c);
    if (!admin) throw new NotAdminError();
    return admin;
  }

  /**
   * A console form post: same-origin (checked before anything else is read), from an admin, with the CSRF token
   * bound to their session. The admin and the form's fields.
   */
  async posted(c: Context): Promise<{ admin: AdminRequest; form: Record<string, string> }> {
    if (crossSiteReason(c.req.raw.headers, this.deps.origin)) throw new CrossSiteFormError();
    const admin = await this.require(c);
    const form = await postedForm(c, this.deps.origin, this.deps.csrf, binding(admin.sessionId));
    return { admin, form };
  }
}

const binding = (sessionId: string) => `admin:${sessionId}`;
