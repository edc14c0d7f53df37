// Scenario 3: what this machine can serve at all — node:http answering a fixed JSON-RPC result, no MCP, no auth.
import type { HttpTarget } from '../common.js';
import { listenOnLoopback } from './loopback-http.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

const RESULT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  result: { content: [{ type: 'text', text: '{"authenticated":true,"subject":"user-0"}' }], structuredContent: { authenticated: true, subject: 'user-0' } },
});

export async function startCeiling(): Promise<HttpTarget> {
  const target = await serveFixedAnswer('bare-node-http', RESULT, 'application/json');
  await checkWhoami(target.url, target.requests[0]!, /user-0/);
  return target;
}

/** node:http reading each request's body, as a real server must, then sending these bytes. Requests: whoami on /mcp. */
export async function serveFixedAnswer(name: string, body: string, contentType: string): Promise<HttpTarget> {
  const http = await listenOnLoopback((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  return { name, url: http.url, requests: whoamiRequests('/mcp', [undefined]), close: http.close };
}
