import type { Context, Hono } from 'hono';
import type { Logger } from 'pino';
import { accountLabel } from '../people/accounts.js';
import type { Consents } from '../people/consents.js';
import { clientAddress } from '../../util/client-address.js';
import { crossSiteReason } from '../web/csrf.js';
import { CrossSiteFormError, postedForm } from '../web/forms.js';
import { isSignInRefusal, passwordSignIn } from './password-sign-in.js';
import { pageResponse, seeOther, withRetryAfter } from '../web/html.js';
import { accountPage, activityEntries, connectedApp, loginPage } from '../pages/views.js';
import { withContextCookies } from '../people/sessions.js';
import { InvalidRequestError } from '../../util/http-error.js';
import { signInChoices, type SignInDoor } from './sign-in-door.js';

/** The door the account pages share with the admin console, and what the pages need beyond it. */
export interface AccountPageDeps extends SignInDoor {
  consents: Consents;
  /** End oidc-provider's session in this browser, so signing out here also signs out of authorizations. */
  endProviderSession(c: Context): Promise<void>;
  /** The MCP URL, which the page tells people to give their apps. */
  resource: string;
  /** The name an app registered with, if it has one. */
  registeredName(clientId: string): Promise<string | undefined>;
  logger: Logger;
}

const NOTICES: Record<string, string> = {
  revoked: 'The app was disconnected. Its access stops with its next request.',
  'not-found': 'That app was not connected.',
};

/** Where a person sees the apps connected to their account and disconnects them. */
export function mountAccountPages(app: Hono, deps: AccountPageDeps): void {
  const { csrf, sessions } = deps;
  const signIn = passwordSignIn(deps);
  const base = `${deps.basePath}/account`;
  const session = (c: Context) => sessions.read(c);

  const form = (c: Context, binding: string) => postedForm(c, deps.origin, csrf, binding);

  const signInPage = (c: Context, error?: string, email?: string) =>
    loginPage({
      action: `${base}/login`,
      csrf: csrf.token(c, 'account-login'),
      title: 'Sign in to your account',
      error,
      email,
      ...signInChoices(deps, `${base}/upstream`),
    });

  app.get(base, async (c) => {
    const current = await session(c);
    const user = current && (await deps.accounts.findById(current.userId));
    if (!current || !user || user.disabled) {
      return pageResponse(signInPage(c));
    }
    const consents = await deps.consents.listForUser(user.id);
    const activity = await deps.audit.list({ subject: user.id, limit: 20 });
    return pageResponse(
      accountPage({
        email: accountLabel(user),
        csrf: csrf.token(c, `account:${current.id}`),
        revokeAction: `${base}/revoke`,
        signOutAction: `${base}/logout`,
        apps: consents.map(connectedApp),
        activity: activityEntries(activity, await appNames(activity, consents, deps)),
        mcpUrl: deps.resource,
        ...(user.admin && { adminConsole: `${deps.basePath}/admin` }),
        notice: NOTICES[c.req.query('notice') ?? ''],
      }),
    );
  });

  app.post(`${base}/login`, async (c) => {
    const body = await form(c, 'account-login');
    if (!deps.localLogin) throw new InvalidRequestError('Sign in with one of the offered providers');
    const address = clientAddress(c, deps.trustProxy) ?? 'unknown';
    let user: Awaited<ReturnType<typeof signIn>>;
    try {
      user = await signIn({ email: body['email'] ?? '', password: body['password'] ?? '', address, reason: 'account page' });
    } catch (error) {
      if (!isSignInRefusal(error)) throw error;
      return withRetryAfter(pageResponse(signInPage(c, error.description, body['email']), error.status), error);
    }
    await sessions.start(c, user.id);
    return withContextCookies(c, seeOther(base));
  });

  app.post(`${base}/upstream`, async (c) => {
    const body = await form(c, 'account-login');
    if (!deps.federation) throw new InvalidRequestError('Unknown sign-in option');
    return deps.federation.start(c, { kind: 'account' }, body['source'] ?? '');
  });

  app.post(`${base}/revoke`, async (c) => {
    const current = await session(c);
    if (!current) return seeOther(base);
    const body = await form(c, `account:${current.id}`);
    const revoked = await deps.consents.revoke(current.userId, body['client_id'] ?? '');
    if (revoked) await deps.audit.record({ type: 'consent.revoked', subject: current.userId, clientId: body['client_id'], reason: 'account page' });
    return seeOther(`${base}?notice=${revoked ? 'revoked' : 'not-found'}`);
  });

  app.post(`${base}/logout`, async (c) => {
    const current = await session(c);
    if (current) await form(c, `account:${current.id}`);
    else if (crossSiteReason(c.req.raw.headers, deps.origin)) throw new CrossSiteFormError();
    // Signing out of this browser ends both its sessions; the apps it connected stay connected (disconnect them above).
    await sessions.end(c);
    await deps.endProviderSession(c);
    return withContextCookies(c, seeOther(base));
  });
}

/**
 * The names of the apps in the activity list: a connected app's as its consent recorded it, any other's from its
 * registration. An app identified by a metadata document is shown by its URL: looking it up would fetch it.
 */
async function appNames(
  activity: readonly { clientId?: string }[],
  consents: readonly { clientId: string; clientName: string }[],
  deps: Pick<AccountPageDeps, 'registeredName'>,
): Promise<Map<string, string>> {
  const names = new Map(consents.map((consent) => [consent.clientId, consent.clientName]));
  const unnamed = new Set(
    activity.flatMap((event) => (event.clientId && !names.has(event.clientId) && !event.clientId.startsWith('https://') ? [event.clientId] : [])),
  );
  for (const clientId of unnamed) {
    const name = await deps.registeredName(clientId);
    if (name) names.set(clientId, name);
  }
  return names;
}
