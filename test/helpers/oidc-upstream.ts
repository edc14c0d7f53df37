import { noteDataDir, noteSecret } from './leak-record.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded } from '../../src/authserver/embedded.js';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { gatehouse, whoamiTool } from '../../src/index.js';
import { openStore } from '../../src/store/index.js';
import { captureLogger } from './server.js';

export const UPSTREAM_EMAIL = 'grace@upstream.example';
export const UPSTREAM_PASSWORD = 'upstream password 0123';

export interface OidcUpstream {
  /** The upstream's issuer (its discovery document is under it). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider on this machine for federated tests: a second Gatehouse (oidc-provider underneath) on
 * its own loopback port, with self-registration off, one person, and one confidential client pre-registered for
 * the federated server's callback, the way an operator sets up an app at a provider.
 *
 * It runs in the test's own process: it is the fixture, not what is tested (the federated server is, as a
 * `gatehouse serve` process). Started as processes — the provider, then `users add`, then `clients add` — each
 * spent over a CPU-second loading Gatehouse before doing anything, and on a loaded machine the setup of the
 * federated browser test took most of its hook's time limit.
 */
export async function startOidcUpstream(callbackUrl: string): Promise<OidcUpstream> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-upstream-'));
  noteDataDir(dataDir);
  const store = await openStore(`sqlite:${join(dataDir, 'gatehouse.db')}`);
  await new Accounts(store).create(UPSTREAM_EMAIL, UPSTREAM_PASSWORD);
  const registered = await new ClientRegistry(store).add({ name: 'Federated Gatehouse', redirectUris: [callbackUrl], confidential: true });
  const { logger } = captureLogger();
  const server = gatehouse({
    name: 'Upstream provider',
    auth: embedded({ dataDir, store, dynamicRegistration: false, clientMetadataDocuments: false }),
    logger,
  }).addTool(whoamiTool);
  const running = await server.listen(0);
  noteSecret(registered.client_secret);
  noteSecret(UPSTREAM_PASSWORD);
  return {
    issuer: running.urls.issuer,
    clientId: registered.client_id,
    clientSecret: registered.client_secret!,
    stop: () => running.close(),
  };
}
