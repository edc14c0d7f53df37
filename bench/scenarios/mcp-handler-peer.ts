// Peer: Vercel's mcp-handler (v2, built on @modelcontextprotocol/server v2): createMcpHandler + its withMcpAuth
// bearer gate + a jose remote-JWKS verifier, its fetch-style handler served on node:http via toNodeHandler.
// Written from the package's README and type declarations for this bench; no peer code is copied.
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { AuthInfo } from '@modelcontextprotocol/server';
import { createMcpHandler, withMcpAuth } from 'mcp-handler';
import { z } from 'zod';
import type { HttpTarget } from '../common.js';
import { listenOnLoopback } from './loopback-http.js';
import { checkWhoami, peerTokenVerifier, whoamiRequests } from './whoami.js';

/** Same whoami tool, same tokens, same audience and scope as the Gatehouse JWT target; same request too. */
export async function startMcpHandlerPeer(issuer: { url: string; jwksUri: string }, resourceUrl: string, tokens: string[]): Promise<HttpTarget> {
  const verify = peerTokenVerifier(issuer, resourceUrl);
  const mcp = createMcpHandler(
    (server) => {
      server.registerTool('whoami', { description: 'Who am I', inputSchema: z.object({}) }, (_args, ctx) => {
        const auth = ctx.http?.authInfo;
        const body = { authenticated: true, subject: auth?.extra?.['sub'], clientId: auth?.clientId, scopes: auth?.scopes };
        return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
      });
    },
    { serverInfo: { name: 'mcp-handler-peer', version: '1.0.0' }, capabilities: { tools: {} }, telemetry: false },
  );
  const gated = withMcpAuth(
    mcp,
    async (_req, token): Promise<AuthInfo | undefined> => {
      if (token === undefined) return undefined; // `required` turns this into a 401 challenge
      try {
        return await verify(token);
      } catch {
        return undefined; // invalid token: 401 through `required`, without its console.error for unexpected errors
      }
    },
    { required: true, requiredScopes: ['read:whoami'] },
  );
  const handler = toNodeHandler({ fetch: gated });
  const http = await listenOnLoopback((req, res) => void handler(req, res));
  const target: HttpTarget = {
    name: 'mcp-handler-peer',
    url: http.url,
    requests: whoamiRequests('/mcp', tokens), // the handler serves every path; /mcp like the others
    close: http.close,
  };
  await checkWhoami(http.url, target.requests[0]!, /user-0/);
  return target;
}
