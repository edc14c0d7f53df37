// Scenario 3: what this machine can serve at all — node:http answering a fixed JSON-RPC result, no MCP, no auth.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpTarget } from '../common.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

const RESULT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: '{"authenticated":true,"subject":"user-0"}' }], structuredContent: { authenticated: true, subject: 'user-0' } },
});

export async function startCeiling(): Promise<HttpTarget> {
  const http = createServer((req, res) => {
    // Read the body as a real server must, then answer.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(RESULT) });
      res.end(RESULT);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const target: HttpTarget = {
    name: 'bare-node-http',
    url,
    requests: whoamiRequests('/mcp', [undefined]),
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  await checkWhoami(url, target.requests[0]!, /user-0/);
  return target;
}
