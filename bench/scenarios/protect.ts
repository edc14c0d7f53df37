// Scenario 5: one SDK server factory (sdk-server.ts) wrapped by protect() with a JWT verifier, against the very same
// factory served by the bare SDK without any auth: createMcpHandler + toNodeHandler on node:http.
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { jwt, WHOAMI_SCOPE } from '../../src/index.js';
import type { HttpTarget } from '../common.js';
import { resourceMode, startProtected } from './gatehouse-target.js';
import { listenOnLoopback } from './loopback-http.js';
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
  const http = await listenOnLoopback((req, res) => void handler(req, res));
  const target: HttpTarget = {
    name: 'sdk-noauth',
    url: http.url,
    requests: whoamiRequests('/mcp', [undefined]),
    close: async () => {
      await http.close();
      await mcp.close();
    },
  };
  await checkWhoami(http.url, target.requests[0]!, /"authenticated\\?":false/);
  return target;
}
