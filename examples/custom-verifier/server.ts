/**
 * whoami protected by a custom TokenVerifier that delegates each check to the identity
 * provider's own JWT-validate endpoint (see vendor-validate-verifier.ts).
 *
 * Run: VENDOR_BASE_URL=https://auth.example.com ISSUER_URL=https://auth.example.com \
 *        npx tsx examples/custom-verifier/server.ts
 */
// Outside this repository, import from 'mcp-gatehouse' instead.
import { gatehouse, resource, whoamiTool } from '../../src/index.js';
import { vendorValidateVerifier } from './vendor-validate-verifier.js';

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`Missing required environment variable ${name} (see examples/custom-verifier/README.md)`);
    process.exit(1);
  }
  return value;
}

const vendorBaseUrl = required('VENDOR_BASE_URL');
const issuerUrl = required('ISSUER_URL');
const port = Number(process.env['PORT'] || 8000);

const server = gatehouse({
  name: 'whoami (custom verifier example)',
  // Behind a tunnel or proxy, the URL clients use: it is also the audience tokens must name.
  publicUrl: process.env['PUBLIC_URL'] || undefined,
  auth: resource({
    // Clients discover the issuer from our metadata; the vendor's validate endpoint is private to us.
    authorizationServers: issuerUrl,
    // Any object with `description` and `verify(token)` plugs in here, just like the built-in verifiers.
    verifier: vendorValidateVerifier({ baseUrl: vendorBaseUrl }),
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
