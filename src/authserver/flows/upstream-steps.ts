import type { Context } from 'hono';
import { HttpError, InvalidRequestError } from '../../util/http-error.js';
import { checkRedirectUri } from '../clients/redirect-policy.js';
import { notAdmittedPage } from '../pages/views.js';
import { pageResponse, seeOther } from '../web/html.js';
import { saveConsent } from './consent-grant.js';
import { finishInteraction, interactionForm, requestedScopes, type Interaction, type InteractionDeps } from './interaction.js';

/** Consent comes before the upstream redirect: approving here is what starts the upstream sign-in. */
export async function startUpstream(c: Context, deps: InteractionDeps, interaction: Interaction): Promise<Response> {
  const form = await interactionForm(c, deps, interaction);
  if (interaction.prompt.name !== 'login' || !deps.federation) return seeOther(`${deps.basePath}/interaction/${interaction.uid}`);
  const clientId = String(interaction.params['client_id']);
  if (form['decision'] === 'deny') {
    await deps.audit.record({ type: 'consent.denied', clientId, outcome: 'denied', reason: 'before sign-in' });
    return finishInteraction(c, deps.provider, interaction, { error: 'access_denied', error_description: 'The user did not allow access' }, false);
  }
  // From the refusal page: the app learns that this server did not admit the person (recorded at the refusal).
  if (form['decision'] === 'refused')
    return finishInteraction(
      c,
      deps.provider,
      interaction,
      { error: 'access_denied', error_description: 'The account used to sign in is not admitted by this server' },
      false,
    );
  const resource = typeof interaction.params['resource'] === 'string' ? interaction.params['resource'] : undefined;
  const purpose = { kind: 'authorization' as const, uid: interaction.uid, clientId, scopes: requestedScopes(interaction), ...(resource && { resource }) };
  return deps.federation.start(c, purpose, form['source'] ?? '');
}

/** Back from the provider (the callback checked the consent binding): finish in the browser that started. */
export async function returnFromUpstream(c: Context, deps: InteractionDeps, interaction: Interaction): Promise<Response> {
  const outcome = await deps.federation?.takeOutcome(interaction.uid);
  const clientId = String(interaction.params['client_id']);
  if (!outcome || outcome.clientId !== clientId) throw new InvalidRequestError('This sign-in has expired. Start again from the app.');
  if ('error' in outcome && outcome.refused) {
    // The person sees why; the app hears access_denied only if they go back to it.
    const back = { action: `${deps.basePath}/interaction/${interaction.uid}/upstream`, csrf: deps.csrf.token(c, `interaction:${interaction.uid}`) };
    return pageResponse(notAdmittedPage({ ...outcome.refused, back }), 403);
  }
  if ('error' in outcome) {
    // The error goes back to the app only if its redirect URI still passes the policy.
    const client = await deps.provider.Client.find(clientId);
    const redirectUri = String(interaction.params['redirect_uri'] ?? '');
    if (!client || !checkRedirectUri(redirectUri, deps.redirectPolicy, client.applicationType as 'web' | 'native').ok) {
      throw new HttpError(400, outcome.error, outcome.errorDescription ?? '');
    }
    return finishInteraction(c, deps.provider, interaction, { error: outcome.error, error_description: outcome.errorDescription }, false);
  }
  const grantId = await saveConsent(deps, outcome.accountId, clientId, outcome.scopes, interaction);
  return finishInteraction(c, deps.provider, interaction, { login: { accountId: outcome.accountId, amr: [outcome.source] }, consent: { grantId } }, false);
}
