import type { Context, Hono } from 'hono';
import { clientAddress } from '../../util/client-address.js';
import { isSignInRefusal, passwordSignIn } from '../flows/password-sign-in.js';
import { signInChoices, type SignInDoor } from '../flows/sign-in-door.js';
import { withContextCookies } from '../people/sessions.js';
import { loginPage } from '../pages/views.js';
import { postedForm } from '../web/forms.js';
import { pageResponse, seeOther, withRetryAfter } from '../web/html.js';
import { AdminAccess } from './admin-access.js';
import { consoleContext, type ConsoleContext } from './console-context.js';
import { confirmPage } from './confirm-view.js';
import type { KeySource } from '../keys/key-store.js';
import { mountActivityPages } from './activity-pages.js';
import { mountClientPages, type ClientPagesDeps } from './client-pages.js';
import { mountKeysPage } from './keys-page.js';
import { mountOverview } from './overview-page.js';
import { mountPeoplePages, type PeoplePagesDeps } from './people-pages.js';

/** The door the console shares with the account pages, and what its sections need beyond it. */
export interface AdminConsoleDeps extends SignInDoor {
  people: PeoplePagesDeps;
  clients: ClientPagesDeps;
  keys: KeySource;
}

/**
 * The admin console at `/admin`: its door (sign-in, the admin role, re-authentication) here, then each section's
 * pages on the context the door gives them. It shares the account pages' session and protections.
 */
export function mountAdminConsole(app: Hono, deps: AdminConsoleDeps): void {
  const ctx = mountDoor(app, deps);
  mountOverview(app, ctx);
  mountPeoplePages(app, ctx, deps.people);
  mountClientPages(app, ctx, deps.clients);
  mountActivityPages(app, ctx);
  mountKeysPage(app, ctx, deps.keys);
}

function mountDoor(app: Hono, deps: AdminConsoleDeps): ConsoleContext {
  const base = `${deps.basePath}/admin`;
  const access = new AdminAccess(deps);
  const ctx = consoleContext(base, access, deps.accounts, deps.audit);
  const signIn = passwordSignIn(deps);

  const signInPage = (c: Context, error?: string, email?: string, status = 200) =>
    pageResponse(
      loginPage({
        action: `${base}/login`,
        csrf: deps.csrf.token(c, 'admin-login'),
        title: 'Sign in to the admin console',
        error,
        email,
        // An identity-source sign-in lands on the account page, which links back here for admins.
        ...signInChoices(deps, `${base}/upstream`),
      }),
      status,
    );

  // With no session at all, the console asks for a sign-in; anyone signed in who is not an admin gets 403.
  const askToSignIn = async (c: Context, next: () => Promise<void>) => {
    if (c.req.method === 'GET' && !(await access.current(c))) return signInPage(c);
    return next();
  };
  app.use(base, askToSignIn);
  app.use(`${base}/*`, askToSignIn);

  app.post(`${base}/login`, async (c) => {
    const body = await postedForm(c, deps.origin, deps.csrf, 'admin-login');
    if (!deps.localLogin) return signInPage(c, 'Sign in with one of the offered providers', undefined, 400);
    const address = clientAddress(c, deps.trustProxy) ?? 'unknown';
    try {
      const user = await signIn({ email: body['email'] ?? '', password: body['password'] ?? '', address, reason: 'admin console' });
      // A password sign-in here is a fresh check of it: changes may follow without asking again.
      await deps.sessions.start(c, user.id, { confirmed: true });
    } catch (error) {
      if (!isSignInRefusal(error)) throw error;
      return withRetryAfter(signInPage(c, error.description, body['email'], error.status), error);
    }
    return withContextCookies(c, seeOther(base));
  });

  app.post(`${base}/upstream`, async (c) => {
    const body = await postedForm(c, deps.origin, deps.csrf, 'admin-login');
    if (!deps.federation) return signInPage(c, 'Sign in with your email and password', undefined, 400);
    return deps.federation.start(c, { kind: 'account' }, body['source'] ?? '');
  });

  app.post(`${base}/confirm`, async (c) => {
    const { admin, form } = await access.posted(c);
    const next = safeNext(form['next'], base);
    try {
      const user = await signIn({
        email: admin.admin.email,
        password: form['password'] ?? '',
        address: clientAddress(c, deps.trustProxy) ?? 'unknown',
        reason: 'admin re-authentication',
      });
      if (user.id !== admin.admin.id) throw new Error('re-authentication matched another account');
      await deps.sessions.confirm(admin.sessionId);
      return seeOther(next);
    } catch (error) {
      if (!isSignInRefusal(error)) throw error;
      const body = confirmPage({ action: `${base}/confirm`, csrf: admin.csrf, next, noPassword: false, error: error.description });
      return withRetryAfter(ctx.render(c, admin, { section: 'overview', title: 'Confirm it is you' }, body, error.status), error);
    }
  });

  return ctx;
}

/** Only a console path may follow a confirmation (never another site, never a protocol-relative URL). */
function safeNext(next: string | undefined, base: string): string {
  return next && (next === base || next.startsWith(`${base}/`) || next.startsWith(`${base}?`)) && !next.includes('\\') ? next : base;
}
