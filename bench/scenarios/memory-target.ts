// The memory scenarios' servers, each in a process of its own so its RSS is its own. It reports
// process.memoryUsage() (after a full GC) whenever the parent asks over IPC.
//   resource <issuer> <jwksUri>  a Gatehouse JWT resource server
//   noauth                       the same server with authentication switched off (the baseline)
//   authserver                   an embedded authorization server on SQLite, with one person; `clients <n>`
//                                registers n public clients and answers their ids
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { dangerouslyNoAuth, embedded, jwt, openStore } from '../../src/index.js';
import { resourceMode, startGatehouse } from './gatehouse-target.js';
import { memoryAfterGc } from '../host-channel.js';
import { MEMORY_PERSON, MEMORY_REDIRECT, type MemoryRequest } from './memory.js';

const [mode, issuerUrl, jwksUri] = process.argv.slice(2) as [string, string, string];
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-memory-'));
const store = mode === 'authserver' ? await openStore(`sqlite:${join(dataDir, 'gatehouse.db')}`) : undefined;
const gh = await startGatehouse(
  store
    ? embedded({ dataDir, store, tokenRequestsPerMinute: 1_000_000_000, authorizationRequestsPerMinute: 1_000_000_000 })
    : mode === 'noauth'
      ? dangerouslyNoAuth()
      : resourceMode(issuerUrl, jwt({ issuer: issuerUrl, jwksUri })),
);
if (store) await new Accounts(store).create(MEMORY_PERSON.email, MEMORY_PERSON.password);
process.on('message', (message: MemoryRequest) => {
  if (message === 'rss') {
    process.send!(memoryAfterGc());
  } else if (message === 'close') {
    void gh.running.close().then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  } else if (store) {
    const registry = new ClientRegistry(store);
    void Promise.all(Array.from({ length: message.clients }, (_, i) => registry.add({ name: `Memory app ${i}`, redirectUris: [MEMORY_REDIRECT] }))).then(
      (clients) => process.send!(clients.map((c) => c.client_id)),
    );
  }
});
process.send!({ url: gh.url, path: gh.path, urls: gh.running.urls });
