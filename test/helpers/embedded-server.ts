import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded, type EmbeddedOptions } from '../../src/authserver/embedded.js';
import { Accounts } from '../../src/authserver/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { gatehouse, whoamiTool, type GatehouseServer } from '../../src/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/store.js';
import type { RunningServer } from '../../src/gatehouse.js';
import { captureLogger } from './server.js';

export const PASSWORD = 'correct horse battery staple';

export interface EmbeddedTestServer extends RunningServer {
  store: Store;
  accounts: Accounts;
  clients: ClientRegistry;
  dataDir: string;
  logs: string[];
  server: GatehouseServer;
}

/** An embedded-mode Gatehouse on a free loopback port, with its SQLite store in a fresh data directory. */
export async function startEmbedded(options: EmbeddedOptions & { setup?: (s: GatehouseServer) => void; port?: number } = {}): Promise<EmbeddedTestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-embedded-'));
  const store = typeof options.store === 'object' ? options.store : await openStore(`sqlite:${join(dataDir, 'gatehouse.db')}`);
  const { logger, lines } = captureLogger();
  const server = gatehouse({ name: 'Embedded test', auth: embedded({ ...options, dataDir, store }), logger }).addTool(whoamiTool);
  options.setup?.(server);
  const running = await server.listen(options.port ?? 0);
  return Object.assign(running, { store, accounts: new Accounts(store), clients: new ClientRegistry(store), dataDir, logs: lines, server });
}
