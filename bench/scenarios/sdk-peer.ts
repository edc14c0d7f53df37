// Scenario 2: the minimal hand-rolled alternative with the official SDK v2: createMcpHandler + requireBearerAuth
// (its fetch-style gate) + a jose remote-JWKS verifier, on node:http via toNodeHandler. Written from the SDK's
// documented API for this bench; no peer code is copied.
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer, requireBearerAuth } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { HttpTarget } from '../common.js';
import { listenOnLoopback } from './loopback-http.js';
import { checkWhoami, peerTokenVerifier, whoamiRequests } from './whoami.js';

/** Serves the same whoami tool and accepts the same tokens as the Gatehouse JWT target (same audience). */
export async function startSdkPeer(issuer: { url: string; jwksUri: string }, resourceUrl: string, tokens: string[]): Promise<HttpTarget> {
  const verifyAccessToken = peerTokenVerifier(issuer, resourceUrl);
  const gate = requireBearerAuth({
    verifier: { verifyAccessToken },
    requiredScopes: ['read:whoami'],
    expectedResource: new URL(resourceUrl),
  });
  const mcp = createMcpHandler(() => {
    const server = new McpServer({ name: 'sdk-peer', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool('whoami', { description: 'Who am I', inputSchema: z.object({}) }, (_args, ctx) => {
      const auth = ctx.http?.authInfo;
      const body = { authenticated: true, subject: auth?.extra?.['sub'], clientId: auth?.clientId, scopes: auth?.scopes };
      return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
    });
    return server;
  });
  const handler = toNodeHandler({
    fetch: async (request: Request) => {
      const auth = await gate(request);
      return auth instanceof Response ? auth : mcp.fetch(request, { authInfo: auth });
    },
  });
  const http = await listenOnLoopback((req, res) => void handler(req, res));
  const target: HttpTarget = {
    name: 'sdk-v2-peer',
    url: http.url,
    requests: whoamiRequests('/mcp', tokens),
    close: async () => {
      await http.close();
      await mcp.close();
    },
  };
  await checkWhoami(http.url, target.requests[0]!, /user-0/);
  return target;
}
