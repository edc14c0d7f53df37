import type { AuditLog } from '../../audit/audit-log.js';
import { HttpError, TooManyRequestsError } from '../../util/http-error.js';
import type { Accounts, PublicUser } from '../people/accounts.js';
import { tooManyAttemptsMessage, type LoginThrottle } from '../people/login-throttle.js';

/** The email and password did not match an enabled account: the form is shown again, with 401. */
export class WrongCredentialsError extends HttpError {
  override readonly name: string = 'WrongCredentialsError';
  constructor() {
    super(401, 'invalid_credentials', 'Wrong email or password.');
  }
}

export interface PasswordSignInDeps {
  accounts: Accounts;
  throttle: LoginThrottle;
  audit: AuditLog;
}

export interface PasswordAttempt {
  email: string;
  password: string;
  /** The client address the throttle counts (`unknown` when none). */
  address: string;
  /** The app the person signs in for (an authorization), if any. */
  clientId?: string;
  /** Where the sign-in happened, for the audit log (e.g. `account page`). */
  reason?: string;
}

/**
 * Sign in with email and password, the same way from every page: the throttle first (a blocked guess costs no
 * hashing), then the password, then the throttle learns the result, and the audit log records it. The account,
 * or a `TooManyRequestsError` (with `Retry-After`) or a `WrongCredentialsError` whose description the form shows.
 */
export function passwordSignIn(deps: PasswordSignInDeps) {
  return async (attempt: PasswordAttempt): Promise<PublicUser> => {
    const { email, address, clientId, reason } = attempt;
    const where = { clientId, method: 'password', address }; // the audit log leaves out what is undefined
    const wait = await deps.throttle.attempt(email, address);
    if (wait !== undefined) {
      await deps.audit.record({ type: 'login.throttled', ...where, outcome: 'denied', reason });
      throw new TooManyRequestsError(tooManyAttemptsMessage(wait), wait);
    }
    const user = await deps.accounts.authenticate(email, attempt.password);
    await (user ? deps.throttle.succeeded(email) : deps.throttle.failed(email));
    if (!user) {
      await deps.audit.record({ type: 'login.failed', ...where, outcome: 'failure', reason: reason ?? 'wrong email or password' });
      throw new WrongCredentialsError();
    }
    await deps.audit.record({ type: 'login.succeeded', subject: user.id, ...where, outcome: 'success', reason });
    return user;
  };
}

export type PasswordSignIn = ReturnType<typeof passwordSignIn>;

/** A refusal the login form shows again, with the message (a wrong password, too many attempts). */
export function isSignInRefusal(error: unknown): error is WrongCredentialsError | TooManyRequestsError {
  return error instanceof WrongCredentialsError || error instanceof TooManyRequestsError;
}
