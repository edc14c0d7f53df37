/**
 * An MCP server written with the official SDK (`McpServer` from @modelcontextprotocol/server): a tool, two
 * resources and a prompt, protected with `protect()` and served by Gatehouse itself. Each registration declares
 * the scope it needs next to it, with `scopeChallenge: requires(...)`; handlers read the caller with `callerOf(ctx)`.
 * Tokens are JWTs from your authorization server, checked against its published keys.
 *
 * Run: ISSUER_URL=https://auth.example.com JWKS_URI=https://auth.example.com/.well-known/jwks.json npx tsx examples/sdk-server/server.ts
 */
import { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
// Outside this repository, import from 'mcp-gatehouse' instead.
import { callerOf, jwt, protect, requires, resource } from '../../src/index.js';

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`Missing required environment variable ${name} (see examples/sdk-server/README.md)`);
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

server.registerTool('whoami', { description: 'Who is calling', scopeChallenge: requires('read:whoami') }, (ctx) => ({
  content: [{ type: 'text', text: callerOf(ctx)?.subject ?? 'anonymous' }],
}));

// No scope of its own: any token this server accepts may read it.
server.registerResource('public-notes', 'notes://public', { mimeType: 'text/plain' }, (uri) => ({
  contents: [{ uri: uri.href, text: 'Anyone signed in may read this.' }],
}));

server.registerResource('private-notes', 'notes://private', { mimeType: 'text/plain', scopeChallenge: requires('notes:read') }, (uri, ctx) => ({
  contents: [{ uri: uri.href, text: `The private notes of ${callerOf(ctx)?.subject}.` }],
}));

server.registerPrompt(
  'greet',
  { description: 'Greet someone', argsSchema: z.object({ name: z.string().optional() }), scopeChallenge: requires('prompts:greet') },
  ({ name }, ctx) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name ?? callerOf(ctx)?.subject}.` } }],
  }),
);

const gate = protect(server, {
  name: 'Notes',
  publicUrl,
  auth: resource({ authorizationServers: issuerUrl, verifier: jwt({ issuer: issuerUrl, jwksUri }) }),
});

const running = await gate.listen(port, '127.0.0.1').catch((error: unknown) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
console.log(`MCP endpoint: ${running.urls.resource}`);

// Stop cleanly on Ctrl-C or a container stop, so in-flight requests can finish.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}
