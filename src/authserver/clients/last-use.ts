import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../../store/contract/store.js';

const KIND = 'ClientUse';

/**
 * When each client last got a token, for the operator's `clients list`: a credential nobody has used for months
 * is one to remove. One small record per client, overwritten on each token response.
 */
export function recordClientUse(provider: Provider, store: Store): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const clientId = ctx.oidc.client?.clientId;
    if (clientId) void store.set(KIND, clientId, { at: Date.now() }).catch(() => undefined);
  });
}

/** When the client last got a token (ms since the epoch), or undefined when it never has. */
export async function lastUse(store: Store, clientId: string): Promise<number | undefined> {
  return (await store.get<{ at: number }>(KIND, clientId))?.value.at;
}

export async function forgetClientUse(store: Store, clientId: string): Promise<void> {
  await store.delete(KIND, clientId);
}
