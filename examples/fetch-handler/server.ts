/**
 * Gatehouse as a web-standard handler, `gate.fetch(request) → Response`: what a Next.js route handler, Bun,
 * Deno or a workers-style runtime is given. Here @hono/node-server serves it on Node, standing in for those
 * (see README.md for the Next.js route files). The MCP server is written with the official SDK; its scopes
 * are declared in one map beside it.
 *
 * Run: ISSUER_URL=https://auth.example.com JWKS_URI=https://auth.example.com/.well-known/jwks.json npx tsx examples/fetch-handler/server.ts
 */
import { serve } from '@hono/node-server';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
// Outside this repository, import from 'mcp-gatehouse' instead.
import { callerOf, jwt, protect, resource, serverUrls } from '../../src/index.js';

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`Missing required environment variable ${name} (see examples/fetch-handler/README.md)`);
    process.exit(1);
  }
  return value;
}

const issuerUrl = required('ISSUER_URL');
const jwksUri = required('JWKS_URI');
const port = Number(process.env['PORT'] || 8000);
// The URL clients use; tokens must name `${publicUrl}/mcp` as their audience.
const publicUrl = process.env['PUBLIC_URL'] || `http://localhost:${port}`;

const server = new McpServer({ name: 'Notes', version: '1.0.0' });
server.registerTool('whoami', { description: 'Who is calling' }, (ctx) => ({
  content: [{ type: 'text', text: callerOf(ctx)?.subject ?? 'anonymous' }],
}));
server.registerResource('public-notes', 'notes://public', { mimeType: 'text/plain' }, (uri) => ({
  contents: [{ uri: uri.href, text: 'Anyone signed in may read this.' }],
}));
server.registerResource('private-notes', 'notes://private', { mimeType: 'text/plain' }, (uri, ctx) => ({
  contents: [{ uri: uri.href, text: `The private notes of ${callerOf(ctx)?.subject}.` }],
}));
server.registerPrompt('greet', { description: 'Greet someone', argsSchema: z.object({ name: z.string().optional() }) }, ({ name }, ctx) => ({
  messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name ?? callerOf(ctx)?.subject}.` } }],
}));

const gate = protect(server, {
  name: 'Notes',
  publicUrl, // needed for a handler: it is the address clients use and the audience tokens must name
  auth: resource({ authorizationServers: issuerUrl, verifier: jwt({ issuer: issuerUrl, jwksUri }) }),
  // Anything not named here (notes://public) needs no scope beyond a valid token.
  scopes: {
    tools: { whoami: 'read:whoami' },
    resources: { 'notes://private': 'notes:read' },
    prompts: { greet: 'prompts:greet' },
  },
});

// It answers the MCP endpoint and discovery, and 404 for any other path.
const listener = serve({ fetch: gate.fetch, port, hostname: '127.0.0.1' }, () => console.log(`MCP endpoint: ${serverUrls(publicUrl).resource}`));
listener.once('error', (error) => {
  console.error(`Could not start: ${error.message}`);
  process.exit(1);
});

// Stop cleanly on Ctrl-C or a container stop: take no new connections, then close what Gatehouse opened.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    listener.close();
    void gate.close().then(() => process.exit(0));
  });
}
