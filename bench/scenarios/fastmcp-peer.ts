// Peer: punkpeye's FastMCP (v4, on the official SDK v1 through mcp-proxy): its `authenticate` hook verifying the
// bearer with a jose remote-JWKS verifier, `httpStream` transport in its stateless mode (a fresh SDK server and
// transport per request, no initialize, no session id). Written from the package's README and type declarations
// for this bench; no peer code is copied.
import { FastMCP } from 'fastmcp';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { z } from 'zod';
import { freePort, type HttpTarget } from '../common.js';
import { checkWhoami, whoamiRequests } from './whoami.js';

interface Caller extends Record<string, unknown> {
  sub: string;
  clientId: string;
  scopes: string[];
}

/** Same whoami tool, same tokens, same audience and scope as the Gatehouse JWT target; same request too. */
export async function startFastMcpPeer(issuer: { url: string; jwksUri: string }, resourceUrl: string, tokens: string[]): Promise<HttpTarget> {
  const jwks = createRemoteJWKSet(new URL(issuer.jwksUri));
  const server = new FastMCP<Caller>({
    name: 'fastmcp-peer',
    version: '1.0.0',
    // Warnings and errors only, like the Gatehouse targets (`warn`): its default logs a debug line per request.
    logger: { debug: () => {}, info: () => {}, log: () => {}, warn: console.warn, error: console.error },
    async authenticate(request) {
      const header = request.headers.authorization;
      if (!header?.startsWith('Bearer ')) throw new Response(null, { status: 401, statusText: 'Unauthorized' });
      let caller: Caller;
      try {
        const { payload } = await jwtVerify(header.slice(7), jwks, { issuer: issuer.url, audience: resourceUrl, requiredClaims: ['exp', 'sub'] });
        const scopes = typeof payload['scope'] === 'string' ? payload['scope'].split(' ') : [];
        caller = { sub: payload.sub!, clientId: String(payload['client_id'] ?? ''), scopes };
      } catch {
        throw new Response(null, { status: 401, statusText: 'Unauthorized' });
      }
      if (!caller.scopes.includes('read:whoami')) throw new Response(null, { status: 403, statusText: 'Forbidden' });
      return caller;
    },
  });
  server.addTool({
    name: 'whoami',
    description: 'Who am I',
    parameters: z.object({}),
    execute: async (_args, { session }) => {
      const body = { authenticated: true, subject: session?.sub, clientId: session?.clientId, scopes: session?.scopes };
      return { content: [{ type: 'text', text: JSON.stringify(body) }], structuredContent: body };
    },
  });
  // FastMCP binds the port itself and does not report it back: take a free loopback port first.
  const port = await freePort();
  await server.start({ transportType: 'httpStream', httpStream: { port, host: '127.0.0.1', endpoint: '/mcp', stateless: true } });
  const url = `http://127.0.0.1:${port}`;
  const target: HttpTarget = {
    name: 'fastmcp-peer',
    url,
    requests: whoamiRequests('/mcp', tokens),
    close: () => server.stop(),
  };
  await checkWhoami(url, target.requests[0]!, /user-0/);
  return target;
}
