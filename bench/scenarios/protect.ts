// Scenario 5: one SDK server factory (sdk-server.ts) wrapped by protect() with a JWT verifier, against the very same
// factory served by the bare SDK without any auth: createMcpHandler + toNodeHandler on node:http.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { jwt, WHOAMI_SCOPE } from '../../src/index.js';
import type { HttpTarget } from '../common.js';
import { resourceMode, startProtected } from './gatehouse-target.js';
import { docsServer } from './sdk-server.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

/** protect(docsServer) verifying JWTs from the issuer on `port` (its resource, the tokens' audience, is fixed by the port). */
export async function startProtectTarget(issuer: { url: string; jwksUri: string }, port: number, tokens: string[]): Promise<HttpTarget> {
  const auth = resourceMode(issuer.url, jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }));
  // The scope the other targets' whoami needs, declared beside the server so the factory stays plain SDK.
  const gh = await startProtected(docsServer, auth, { tools: { whoami: WHOAMI_SCOPE } }, port);
  const target: HttpTarget = { name: 'protect-jwt', url: gh.url, requests: whoamiRequests(gh.path, tokens), close: () => gh.running.close() };
  await checkWhoami(target.url, target.requests[0]!, /user-0/);
  return target;
}

/** The same factory on the bare SDK, no auth at all, sent the same calls without a token. */
export async function startBareSdkTarget(): Promise<HttpTarget> {
  const mcp = createMcpHandler(docsServer);
  const handler = toNodeHandler(mcp);
  const http = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const target: HttpTarget = {
    name: 'sdk-noauth',
    url,
    requests: whoamiRequests('/mcp', [undefined]),
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await mcp.close();
    },
  };
  await checkWhoami(url, target.requests[0]!, /"authenticated\\?":false/);
  return target;
}
