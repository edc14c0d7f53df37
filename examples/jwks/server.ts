/**
 * A server whose tokens are JWTs signed by the issuer and checked locally against its published
 * keys (JWKS), the way Auth0 and WorkOS access tokens are verified. No call to the issuer per request:
 * keys are fetched once, cached, and refetched when an unknown key id shows up (key rotation).
 *
 * Run: ISSUER_URL=https://your-tenant.example.com/ npx tsx examples/jwks/server.ts
 */
import { z } from 'zod';
// Outside this repository, import from 'mcp-gatehouse' instead.
import { gatehouse, getCaller, jwt, resource, whoamiTool } from '../../src/index.js';

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`Missing required environment variable ${name} (see examples/jwks/README.md)`);
    process.exit(1);
  }
  return value;
}

// Keep ISSUER_URL exactly as the issuer writes `iss` (Auth0's ends with a slash): it is compared as is.
const issuerUrl = required('ISSUER_URL');
const jwksUri = process.env['JWKS_URI'] || `${issuerUrl.replace(/\/+$/, '')}/.well-known/jwks.json`;
const port = Number(process.env['PORT'] || 8000);

/**
 * Deep inside a tool, who is calling? `getCaller()` reads the verified caller from the request's
 * async context, so helpers like this one need no extra parameter threaded through (the server below
 * turns this on with `callerContext: true`).
 */
function callerLabel(): string {
  const caller = getCaller();
  if (!caller) return 'anonymous (stdio)';
  return caller.username ?? caller.email ?? caller.subject;
}

const server = gatehouse({
  name: 'whoami + echo (JWKS example)',
  callerContext: true,
  // Behind a tunnel or proxy, the URL clients use: it is also the audience tokens must name.
  publicUrl: process.env['PUBLIC_URL'] || undefined,
  auth: resource({
    authorizationServers: issuerUrl,
    verifier: jwt({ issuer: issuerUrl, jwksUri }),
  }),
})
  // whoami needs `read:whoami`...
  .addTool(whoamiTool)
  // ...and echo needs its own scope: a token with only `read:whoami` gets 403 insufficient_scope,
  // naming `tools:echo`, so the client can ask the user for more.
  .tool(
    'echo',
    {
      title: 'Echo',
      description: 'Repeats your text back, signed with the name of the verified caller.',
      scopes: ['tools:echo'],
      inputSchema: z.object({ text: z.string().max(2000) }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ text }) => ({ text, from: callerLabel() }),
  );

const running = await server.listen(port).catch((error: unknown) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
console.log(`MCP endpoint: ${running.urls.resource}`);
console.log(`Verifying JWTs from ${issuerUrl} with keys from ${jwksUri}`);

// Stop cleanly on Ctrl-C or a container stop, so in-flight requests can finish.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}
