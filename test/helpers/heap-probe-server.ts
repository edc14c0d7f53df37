// A Gatehouse JWT resource server in a process of its own, so a heap snapshot of it holds only what the server
// keeps. Usage: fork with `--import tsx`, args <issuer> <jwksUri>; answers 'snapshot' with the path it wrote.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { createLogger, gatehouse, jwt, resource, whoamiTool } from '../../src/index.js';

const [issuer, jwksUri] = process.argv.slice(2) as [string, string];
const server = gatehouse({
  name: 'Heap probe',
  auth: resource({ authorizationServers: issuer, verifier: jwt({ issuer, jwksUri }) }),
  logger: createLogger({ level: 'warn', destination: 'stderr' }),
}).addTool(whoamiTool);
const running = await server.listen(0, '127.0.0.1');
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-heap-'));

process.on('message', (message: 'snapshot' | 'close') => {
  if (message === 'snapshot') {
    // The snapshot is taken after a full collection: what it holds is reachable.
    process.send!({ snapshot: writeHeapSnapshot(join(dir, 'server.heapsnapshot')) });
  } else {
    void running.close().then(() => process.exit(0));
  }
});
process.send!({ resource: running.urls.resource });
