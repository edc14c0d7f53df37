import type { Context } from 'hono';
import { withApproval } from '../people/consents.js';
import { OIDC_SCOPES } from '../engine/provider.js';
import { finishInteraction, requestedScopes, type Interaction, type InteractionDeps } from './interaction.js';

const OIDC_SCOPE_NAMES = new Set(OIDC_SCOPES.map((s) => s.name));

/** Record the approval in a grant (reusing the remembered one), remember the consent, and continue the flow. */
export async function approve(c: Context, deps: InteractionDeps, interaction: Interaction): Promise<Response> {
  const grantId = await saveConsent(deps, interaction.session!.accountId, String(interaction.params['client_id']), requestedScopes(interaction), interaction);
  return finishInteraction(c, deps.provider, interaction, { consent: { grantId } }, true);
}

/** Put the approved scopes in this person's grant for this client (reusing the remembered one) and remember the consent. */
export async function saveConsent(deps: InteractionDeps, accountId: string, clientId: string, approved: string[], interaction: Interaction): Promise<string> {
  const { provider } = deps;
  const remembered = await deps.consents.find(accountId, clientId);
  // The browser session's grant is another person's when someone else just signed in here: never add to it.
  const sessionGrant = interaction.session?.accountId === accountId ? interaction.grantId : undefined;
  const candidate = sessionGrant ?? remembered?.grantId;
  const found = candidate ? await provider.Grant.find(candidate) : undefined;
  const grant = found && found.accountId === accountId && found.clientId === clientId ? found : new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = interaction.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  // The consent prompt lists what is missing; an approval given before sign-in (federated) has only the list.
  // oidc-provider checks the tools' scopes both as requested scopes and as scopes of the resource.
  const known = approved.filter((s) => deps.scopeInfo.has(s));
  const oidcScopes = [...new Set([...(missingOIDCScope ?? []), ...known])];
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  if (missingOIDCClaims?.length) grant.addOIDCClaims(missingOIDCClaims);
  const resourceScopes = known.filter((s) => !OIDC_SCOPE_NAMES.has(s));
  // For the resource the app asked for: on a local server, the loopback name it connected to (the engine has
  // already refused any resource that is not one of this server's).
  const requested = interaction.params['resource'];
  const resource = typeof requested === 'string' && requested ? requested : deps.resource;
  if (resourceScopes.length) grant.addResourceScope(resource, resourceScopes.join(' '));
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  const grantId = await grant.save();
  const client = await provider.Client.find(clientId);
  const scopes = [...new Set([...(remembered?.scopes ?? []), ...approved])];
  // What the page showed: this redirect URI, exactly. Approvals under another grant no longer hold.
  const earlier = remembered?.grantId === grantId ? remembered.approvals : undefined;
  const redirectUri = String(interaction.params['redirect_uri'] ?? '');
  await deps.consents.remember({
    userId: accountId,
    clientId,
    clientName: client?.clientName ?? clientId,
    scopes,
    approvals: withApproval(earlier, { redirectUri, scopes: approved }),
    grantId,
    grantedAt: remembered?.grantedAt ?? Date.now(),
    lastUsedAt: remembered?.lastUsedAt,
  });
  await deps.audit.record({ type: 'consent.granted', subject: accountId, clientId, grantId, reason: scopes.join(' ') });
  return grantId;
}
