import type { Context } from 'hono';
import { clientAddress } from '../../util/client-address.js';
import { InvalidRequestError } from '../../util/http-error.js';
import { federatedLoginPage, loginPage } from '../pages/views.js';
import { pageResponse, seeOther, withRetryAfter } from '../web/html.js';
import { consentView, identityOf } from './consent-view.js';
import { finishInteraction, interactionForm, type Interaction, type InteractionDeps } from './interaction.js';
import { isSignInRefusal, type passwordSignIn } from './password-sign-in.js';

/** The sign-in page: email and password, or (federated) the upstream sources with the consent shown first. */
export async function renderLogin(
  c: Context,
  deps: InteractionDeps,
  interaction: Interaction,
  error?: string,
  email?: string,
  status = 200,
): Promise<Response> {
  if (deps.federation) {
    const view = await consentView(c, deps, interaction, '');
    return pageResponse(
      federatedLoginPage({
        ...view,
        action: `${deps.basePath}/interaction/${interaction.uid}/upstream`,
        sources: [...deps.federation.sources.values()].map((s) => ({ name: s.name, label: s.label })),
        ...(deps.localLogin && { localLogin: { action: `${deps.basePath}/interaction/${interaction.uid}/login`, error, email } }),
      }),
      status,
    );
  }
  return pageResponse(
    loginPage({
      action: `${deps.basePath}/interaction/${interaction.uid}/login`,
      csrf: deps.csrf.token(c, `interaction:${interaction.uid}`),
      client: await identityOf(deps, String(interaction.params['client_id'])),
      title: 'Sign in',
      password: true,
      error,
      email,
    }),
    status,
  );
}

/** The posted email and password: signed in, or the page again with why not (and Retry-After when throttled). */
export async function submitLogin(c: Context, deps: InteractionDeps, signIn: ReturnType<typeof passwordSignIn>, interaction: Interaction): Promise<Response> {
  const form = await interactionForm(c, deps, interaction);
  if (interaction.prompt.name !== 'login') return seeOther(`${deps.basePath}/interaction/${interaction.uid}`);
  if (!deps.localLogin) throw new InvalidRequestError('Sign in with one of the offered providers');
  const address = clientAddress(c, deps.trustProxy) ?? 'unknown';
  const clientId = String(interaction.params['client_id']);
  try {
    const user = await signIn({ email: form['email'] ?? '', password: form['password'] ?? '', address, clientId });
    return finishInteraction(c, deps.provider, interaction, { login: { accountId: user.id } }, false);
  } catch (error) {
    if (!isSignInRefusal(error)) throw error;
    return withRetryAfter(await renderLogin(c, deps, interaction, error.description, form['email'], error.status), error);
  }
}
