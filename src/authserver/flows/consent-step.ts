import type { Context } from 'hono';
import { HttpError } from '../../util/http-error.js';
import { accountLabel } from '../people/accounts.js';
import { consentCovers } from '../people/consents.js';
import { consentPage } from '../pages/views.js';
import { pageResponse, seeOther } from '../web/html.js';
import { approve } from './consent-grant.js';
import { consentView } from './consent-view.js';
import { finishInteraction, interactionForm, requestedScopes, type Interaction, type InteractionDeps } from './interaction.js';

/**
 * Show the consent page, unless this person already approved this client for everything it asks and for this
 * exact redirect URI (another URI, or another loopback port, is another destination). `prompt=consent` always asks.
 */
export async function consentStep(c: Context, deps: InteractionDeps, interaction: Interaction): Promise<Response> {
  const accountId = interaction.session?.accountId;
  const clientId = String(interaction.params['client_id']);
  if (!accountId) throw new HttpError(400, 'login_required', 'Sign in first');
  const requested = requestedScopes(interaction);
  const remembered = await deps.consents.find(accountId, clientId);
  const asked = interaction.prompt.reasons.includes('consent_prompt');
  if (!asked && consentCovers(remembered, String(interaction.params['redirect_uri'] ?? ''), requested)) {
    const grant = await deps.provider.Grant.find(remembered!.grantId);
    if (grant) return approve(c, deps, interaction);
  }
  const user = await deps.accounts.findById(accountId);
  const view = await consentView(c, deps, interaction, user ? accountLabel(user) : accountId);
  return pageResponse(consentPage({ ...view, switchAccount: switchAccountUrl(interaction) }));
}

/** The person's answer on the consent page: allow continues the flow, anything else sends access_denied. */
export async function submitConsent(c: Context, deps: InteractionDeps, interaction: Interaction): Promise<Response> {
  const form = await interactionForm(c, deps, interaction);
  if (interaction.prompt.name !== 'consent') return seeOther(`${deps.basePath}/interaction/${interaction.uid}`);
  if (form['decision'] !== 'allow') {
    await deps.audit.record({
      type: 'consent.denied',
      subject: interaction.session?.accountId,
      clientId: String(interaction.params['client_id']),
      outcome: 'denied',
    });
    return finishInteraction(c, deps.provider, interaction, { error: 'access_denied', error_description: 'The user did not allow access' }, false);
  }
  return approve(c, deps, interaction);
}

/**
 * The same authorization request with `prompt=login`: the way to sign in as someone else from a consent page
 * (a plain link, it changes nothing until the person signs in).
 */
function switchAccountUrl(interaction: Interaction): string {
  const url = new URL(interaction.returnTo);
  url.pathname = url.pathname.replace(/\/auth\/[^/]+$/, '/auth');
  url.search = '';
  for (const [name, value] of Object.entries(interaction.params)) if (typeof value === 'string') url.searchParams.set(name, value);
  url.searchParams.set('prompt', 'login');
  return `${url.pathname}${url.search}`;
}
