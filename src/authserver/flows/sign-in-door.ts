import type { AuditLog } from '../../audit/audit-log.js';
import type { TrustedProxies } from '../../util/trusted-proxies.js';
import type { Accounts } from '../people/accounts.js';
import type { LoginThrottle } from '../people/login-throttle.js';
import type { AccountSessions } from '../people/sessions.js';
import type { LoginView } from '../pages/views.js';
import type { Federation } from '../upstream/federation.js';
import type { Csrf } from '../web/csrf.js';

/**
 * The door the account pages and the admin console share: the accounts behind it, the browser session it opens,
 * the protections on its forms, and the ways in (a password, upstream identity sources, or both).
 */
export interface SignInDoor {
  accounts: Accounts;
  sessions: AccountSessions;
  csrf: Csrf;
  throttle: LoginThrottle;
  audit: AuditLog;
  /** Upstream identity sources, when people sign in through them. */
  federation?: Federation;
  /** Whether local accounts (email and password) can sign in. */
  localLogin: boolean;
  trustProxy: TrustedProxies;
  origin: string;
  basePath: string;
}

/** The ways in a sign-in form offers: the password form, and a button per upstream source posting to `upstreamAction`. */
export function signInChoices(door: Pick<SignInDoor, 'federation' | 'localLogin'>, upstreamAction: string): Pick<LoginView, 'password' | 'upstream'> {
  return {
    password: door.localLogin,
    ...(door.federation && {
      upstream: { action: upstreamAction, sources: [...door.federation.sources.values()].map(({ name, label }) => ({ name, label })) },
    }),
  };
}
