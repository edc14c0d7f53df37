import type { Context } from 'hono';
import type { ConsentView } from '../pages/views.js';
import { clientIdentity, type ClientIdentity } from '../clients/client-identity.js';
import { describeRedirect } from '../clients/redirect-destination.js';
import { isLoopbackHost } from '../../resource/urls.js';
import { requestedScopes, type Interaction, type InteractionDeps } from './interaction.js';

/** What a consent page shows about the app asking: who it is, where it sends the browser, what it may do. */
export async function consentView(c: Context, deps: InteractionDeps, interaction: Interaction, email: string): Promise<ConsentView> {
  const clientId = String(interaction.params['client_id']);
  const client = await deps.provider.Client.find(clientId);
  const redirectUri = String(interaction.params['redirect_uri'] ?? client?.redirectUris?.[0] ?? '');
  return {
    action: `${deps.basePath}/interaction/${interaction.uid}/consent`,
    csrf: deps.csrf.token(c, `interaction:${interaction.uid}`),
    client: await identityOf(deps, clientId),
    clientId,
    destination: describeRedirect(redirectUri),
    localhostOnly: (client?.redirectUris ?? [redirectUri]).every((u) => isLoopbackHost(hostnameOf(u))),
    metadataDocument: clientId.startsWith('https://') ? clientId : undefined,
    scopes: requestedScopes(interaction).map((name) => deps.scopeInfo.get(name) ?? { name, description: name }),
    email,
  };
}

/** What the pages may say about the client's name (a claim unless something vouches for it). */
export async function identityOf(deps: InteractionDeps, clientId: string): Promise<ClientIdentity> {
  const client = await deps.provider.Client.find(clientId);
  const preRegistered = (await deps.clients.find(clientId)) !== undefined;
  return clientIdentity({ clientId, clientName: client?.clientName, redirectUris: client?.redirectUris }, preRegistered);
}

function hostnameOf(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return '';
  }
}
