import type { Context } from 'hono';
import type { AuditLog } from '../../audit/audit-log.js';
import type { Html } from '../web/html.js';
import { pageResponse } from '../web/html.js';
import type { AdminAccess, AdminRequest } from './admin-access.js';
import { adminPage, type Section } from './admin-layout.js';
import { confirmPage } from './confirm-view.js';
import { accountLabel, type Accounts } from '../people/accounts.js';

/** What each console section is given: the door, the audit log, and how to draw and guard its pages. */
export interface ConsoleContext {
  base: string;
  access: AdminAccess;
  accounts: Accounts;
  audit: AuditLog;
  /** A console page for this admin. */
  render(c: Context, admin: AdminRequest, view: { section: Section; title: string; notice?: string }, body: Html, status?: number): Response;
  /**
   * A change posted from a console form: refused unless same-origin, from an admin, with the CSRF token, and
   * (for every change) a recent re-authentication; otherwise the password page, and nothing changes. The handler
   * answers the change; the audit record is its own (each records what it did, with the admin as actor).
   */
  change(c: Context, handler: (admin: AdminRequest, form: Record<string, string>) => Promise<Response>): Promise<Response>;
}

export function consoleContext(base: string, access: AdminAccess, accounts: Accounts, audit: AuditLog): ConsoleContext {
  const render: ConsoleContext['render'] = (_c, admin, view, body, status = 200) =>
    pageResponse(adminPage({ base, admin: accountLabel(admin.admin), ...view }, body), status);
  return {
    base,
    access,
    accounts,
    audit,
    render,
    async change(c, handler) {
      const { admin, form } = await access.posted(c);
      if (admin.confirmed) return handler(admin, form);
      const back = new URL(c.req.header('referer') ?? `${base}`, 'http://x');
      const next = back.pathname.startsWith(base) ? `${back.pathname}${back.search}` : base;
      const body = confirmPage({ action: `${base}/confirm`, csrf: admin.csrf, next, noPassword: !(await accounts.hasPassword(admin.admin.id)) });
      return render(c, admin, { section: 'overview', title: 'Confirm it is you' }, body, 403);
    },
  };
}
