import { noteDataDir } from './leak-record.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded, type EmbeddedOptions } from '../../src/authserver/embedded.js';
import { federated } from '../../src/authserver/federated.js';
import { github } from '../../src/authserver/upstream/github.js';
import { startGitHubFixture } from './github-fixture.js';
import { MATRIX, matrixStore } from './matrix.js';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { gatehouse, whoamiTool, type GatehouseOptions, type GatehouseServer } from '../../src/index.js';
import type { Store } from '../../src/store/contract/store.js';
import type { RunningServer } from '../../src/gatehouse.js';
import { captureLogger } from './server.js';

export const PASSWORD = 'correct horse battery staple';

export interface EmbeddedTestServer extends RunningServer {
  store: Store;
  accounts: Accounts;
  clients: ClientRegistry;
  dataDir: string;
  /** The `--store` flags that point a `gatehouse` command at this server's store (SQLite or the matrix's Redis). */
  storeArgs: string[];
  logs: string[];
  server: GatehouseServer;
}

/**
 * An embedded-mode Gatehouse on a free loopback port, with its store (SQLite in a fresh data directory) — or, for
 * the security matrix (`test/helpers/matrix.ts`), on Redis, and/or in federated mode in front of a GitHub-shaped
 * fixture with password accounts offered too, so the same suites drive the same password flows.
 */
export async function startEmbedded(
  options: EmbeddedOptions & { setup?: (s: GatehouseServer) => void; port?: number } & Pick<
      GatehouseOptions,
      'trustProxy' | 'trustProxyHeader' | 'brand' | 'templatesDir'
    > = {},
): Promise<EmbeddedTestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-embedded-'));
  const { store, cleanup, cliArgs } =
    typeof options.store === 'object' ? { store: options.store, cleanup: async () => {}, cliArgs: [] } : await matrixStore(dataDir);
  const { logger, lines } = captureLogger();
  noteDataDir(dataDir);
  // Suites drive many authorization requests from one address; the per-address limit has a test of its own.
  options = { authorizationRequestsPerMinute: 100_000, ...options };
  const upstream =
    MATRIX.mode === 'federated' && !options.upstreams
      ? await startGitHubFixture({ clientId: 'matrix-app', clientSecret: 'matrix-app-secret-0123456789abcdef' })
      : undefined;
  const auth = upstream
    ? federated({
        ...options,
        dataDir,
        store,
        localLogin: options.localLogin ?? true,
        // The matrix drives the password flows; admission has tests of its own.
        ...(!options.admit && { dangerouslyAllowAnyUpstreamAccount: true }),
        upstreams: [github({ clientId: 'matrix-app', clientSecret: 'matrix-app-secret-0123456789abcdef', webUrl: upstream.url, apiUrl: upstream.apiUrl })],
      })
    : embedded({ ...options, dataDir, store });
  const server = gatehouse({
    name: 'Embedded test',
    auth,
    logger,
    trustProxy: options.trustProxy,
    trustProxyHeader: options.trustProxyHeader,
    ...(options.brand && { brand: options.brand }),
    ...(options.templatesDir && { templatesDir: options.templatesDir }),
  }).addTool(whoamiTool);
  options.setup?.(server);
  const running = await server.listen(options.port ?? 0);
  const close = running.close.bind(running);
  return Object.assign(running, {
    store,
    accounts: new Accounts(store),
    clients: new ClientRegistry(store),
    dataDir,
    storeArgs: cliArgs,
    logs: lines,
    server,
    close: async () => {
      await close();
      await upstream?.close();
      await cleanup();
    },
  });
}
