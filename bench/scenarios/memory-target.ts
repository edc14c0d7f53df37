// The memory scenario's server, in a process of its own so its RSS is its own: a Gatehouse JWT server that
// reports process.memoryUsage() (after a full GC) when the parent asks over IPC.
import { jwt } from '../../src/index.js';
import { resourceMode, startGatehouse } from './gatehouse-target.js';

const [issuerUrl, jwksUri] = process.argv.slice(2) as [string, string];
const gh = await startGatehouse(resourceMode(issuerUrl, jwt({ issuer: issuerUrl, jwksUri })));
process.on('message', (message) => {
  if (message === 'rss') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed });
  } else if (message === 'close') {
    void gh.running.close().then(() => process.exit(0));
  }
});
process.send!({ url: gh.url, path: gh.path, resourceUrl: gh.running.urls.resource });
