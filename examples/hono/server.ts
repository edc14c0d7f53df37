/**
 * Gatehouse mounted in a Hono app: the SDK's own `createMcpHonoApp()` (JSON parsing, Host and Origin checks)
 * with `app.use(gate.hono())` in front of the app's own routes, which keep working, served on Node by
 * @hono/node-server. The MCP server is written with the official SDK; its scopes are declared in one map beside it.
 *
 * Run: ISSUER_URL=https://auth.example.com JWKS_URI=https://auth.example.com/.well-known/jwks.json npx tsx examples/hono/server.ts
 */
import { serve } from '@hono/node-server';
import { createMcpHonoApp } from '@modelcontextprotocol/hono';
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
// Outside this repository, import from 'mcp-gatehouse' instead.
import { callerOf, jwt, protect, resource, serverUrls } from '../../src/index.js';

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`Missing required environment variable ${name} (see examples/hono/README.md)`);
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
  publicUrl, // needed when mounted: it is the address clients use and the audience tokens must name
  auth: resource({ authorizationServers: issuerUrl, verifier: jwt({ issuer: issuerUrl, jwksUri }) }),
  // Anything not named here (notes://public) needs no scope beyond a valid token.
  scopes: {
    tools: { whoami: 'read:whoami' },
    resources: { 'notes://private': 'notes:read' },
    prompts: { greet: 'prompts:greet' },
  },
});

// The SDK's app accepts only localhost names in `Host` and `Origin` unless told otherwise: accept the public
// URL's host instead, as Gatehouse does.
const publicHost = new URL(publicUrl).hostname;
const app = createMcpHonoApp({ allowedHosts: [publicHost], allowedOrigins: [publicHost] });
app.use(gate.hono()); // answers /mcp and /.well-known/…; everything else goes on to the routes below
app.get('/', (c) => c.text('hello'));

const listener = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => console.log(`MCP endpoint: ${serverUrls(publicUrl).resource}`));
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
