import { noteSecret } from './leak-record.js';
import { addUser, gatehouseCommand, startGatehouse, type GatehouseProcess } from './gatehouse-process.js';

export const UPSTREAM_EMAIL = 'grace@upstream.example';
export const UPSTREAM_PASSWORD = 'upstream password 0123';

export interface OidcUpstream {
  /** The upstream's issuer (its discovery document is under it). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  process: GatehouseProcess;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider on this machine for federated tests: a second Gatehouse (oidc-provider underneath) run as
 * a process, with self-registration off, one person, and one confidential client pre-registered for the
 * federated server's callback, the way an operator sets up an app at a provider.
 */
export async function startOidcUpstream(callbackUrl: string, options: { args?: string[] } = {}): Promise<OidcUpstream> {
  const process = await startGatehouse({
    args: options.args ?? [],
    env: { GATEHOUSE_DYNAMIC_REGISTRATION: 'false', GATEHOUSE_CLIENT_METADATA_DOCUMENTS: 'false' },
  });
  await addUser(process.dataDir, UPSTREAM_EMAIL, UPSTREAM_PASSWORD);
  const registered = JSON.parse(
    await gatehouseCommand([
      'clients',
      'add',
      '--confidential',
      '--name',
      'Federated Gatehouse',
      '--redirect-uri',
      callbackUrl,
      '--json',
      '--data-dir',
      process.dataDir,
    ]),
  ) as { client_id: string; client_secret: string };
  noteSecret(registered.client_secret);
  noteSecret(UPSTREAM_PASSWORD);
  return {
    issuer: process.urls.issuer,
    clientId: registered.client_id,
    clientSecret: registered.client_secret,
    process,
    stop: async () => {
      await process.stop();
    },
  };
}
