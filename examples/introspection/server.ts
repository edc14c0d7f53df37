/**
 * whoami behind an external authorization server that issues opaque access tokens.
 * The resource server was given its own "request validation" credentials and asks the
 * issuer about every token through RFC 7662 introspection (the PropelAuth-style setup).
 *
 * Run: ISSUER_URL=... INTROSPECTION_URL=... INTROSPECTION_CLIENT_ID=... INTROSPECTION_CLIENT_SECRET=... \
 *        npx tsx examples/introspection/server.ts
 */
// Outside this repository, import from 'mcp-gatehouse' instead.
import { gatehouse, introspection, resource, whoamiTool } from '../../src/index.js';

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`Missing required environment variable ${name} (see examples/introspection/README.md)`);
    process.exit(1);
  }
  return value;
}

const issuerUrl = required('ISSUER_URL');
const introspectionUrl = required('INTROSPECTION_URL');
const clientId = required('INTROSPECTION_CLIENT_ID');
const clientSecret = required('INTROSPECTION_CLIENT_SECRET');
const port = Number(process.env['PORT'] || 8000);

const server = gatehouse({
  name: 'whoami (introspection example)',
  // Behind a tunnel or proxy, the URL clients use: it is also the audience tokens must name.
  publicUrl: process.env['PUBLIC_URL'] || undefined,
  auth: resource({
    // Advertised in the protected resource metadata so clients know where to sign in.
    authorizationServers: issuerUrl,
    // Opaque tokens cannot be checked locally, so ask the issuer. Active answers are cached
    // briefly (never past the token's expiry); an `iss` in the answer must equal ISSUER_URL.
    verifier: introspection({ url: introspectionUrl, clientId, clientSecret, issuer: issuerUrl }),
  }),
}).addTool(whoamiTool);

const running = await server.listen(port).catch((error: unknown) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
console.log(`MCP endpoint: ${running.urls.resource}`);

// Stop cleanly on Ctrl-C or a container stop, so in-flight requests can finish.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}
