/**
 * The examples, proven over real loopback HTTP: the custom verifier module against a stand-in vendor,
 * and each example server started as its own process, configured from the environment exactly as a
 * user would run it, then called with the official MCP client.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, InsufficientScopeError, StreamableHTTPClientTransport, extractWWWAuthenticateParams } from '@modelcontextprotocol/client';
import { InvalidTokenError, VerifierUnavailableError } from '../../src/index.js';
import { vendorValidateVerifier } from '../../examples/custom-verifier/vendor-validate-verifier.js';
import { TestIntrospectionServer } from '../helpers/introspection-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { postMcp, startServer, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Every variable an example reads, cleared before each child so the test's own environment cannot leak in. */
const EXAMPLE_VARS = [
  'ISSUER_URL',
  'JWKS_URI',
  'PUBLIC_URL',
  'PORT',
  'VENDOR_BASE_URL',
  'INTROSPECTION_URL',
  'INTROSPECTION_CLIENT_ID',
  'INTROSPECTION_CLIENT_SECRET',
];

const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

/**
 * A stand-in for a vendor's `GET /api/jwt/validate`: 200 `{"jwt": claims}` for tokens it knows,
 * 401 for the rest; `failWith` forces an error status and `delayMs` a slow answer.
 */
class VendorFixture {
  readonly tokens = new Map<string, Record<string, unknown>>();
  readonly requests: { method: string; path: string; authorization: string | undefined }[] = [];
  failWith?: number;
  delayMs = 0;
  url = '';
  #server?: Server;

  static async start(): Promise<VendorFixture> {
    const vendor = new VendorFixture();
    vendor.#server = createServer(async (req, res) => {
      vendor.requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
      if (vendor.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, vendor.delayMs));
      if (req.method !== 'GET' || req.url !== '/api/jwt/validate') {
        res.writeHead(404).end();
        return;
      }
      if (vendor.failWith !== undefined) {
        res.writeHead(vendor.failWith, { 'content-type': 'application/json' }).end('{"generalErrors":[{"code":"[Exception]"}]}');
        return;
      }
      const header = req.headers.authorization ?? '';
      const claims = header.startsWith('Bearer ') ? vendor.tokens.get(header.slice(7)) : undefined;
      if (claims === undefined) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jwt: claims }));
    });
    await new Promise<void>((resolve) => vendor.#server!.listen(0, '127.0.0.1', resolve));
    vendor.url = `http://127.0.0.1:${(vendor.#server!.address() as AddressInfo).port}`;
    return vendor;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** A port nothing listens on right now (the examples print their URL, so PORT=0 would not tell us where they are). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function spawnExample(name: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [...EXAMPLE_VARS, 'NODE_TEST_CONTEXT']) delete childEnv[key];
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}/server.ts`], {
    cwd: ROOT,
    env: { ...childEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk) => (text += chunk));
  child.stderr!.on('data', (chunk) => (text += chunk));
  return { child, output: () => text };
}

interface RunningExample {
  child: ChildProcess;
  /** The MCP URL the example printed. */
  url: string;
  output: () => string;
}

/** Start an example and wait for it to print its MCP URL. */
async function startExample(name: string, env: Record<string, string>): Promise<RunningExample> {
  const { child, output } = spawnExample(name, env);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`examples/${name} printed no URL within 30 s:\n${output()}`)), 30_000);
    const onData = () => {
      const match = /MCP endpoint: (http\S+)/.exec(output());
      if (match) done(() => resolve(match[1]!));
    };
    const onExit = (code: number | null) => fail(new Error(`examples/${name} exited (${code}) before printing its URL:\n${output()}`));
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      settle();
    };
    const fail = (error: Error) => done(() => reject(error));
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  }).catch(async (error: unknown) => {
    await stopExample(child);
    throw error;
  });
  return { child, url, output };
}

/** SIGTERM (the examples close cleanly on it), then SIGKILL if the child has not gone within 5 s. */
async function stopExample(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Run an example that is expected to stop by itself; resolve with its exit code and everything it printed. */
async function runToExit(name: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const { child, output } = spawnExample(name, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, output: output() };
}

/** Call one tool through the official MCP client, presenting `token` as a bearer token. */
async function callTool(url: string, token: string, name: string, args: Record<string, unknown> = {}) {
  const client = new Client({ name: 'examples-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  try {
    return await client.callTool({ name, arguments: args });
  } finally {
    await client.close();
  }
}

/** A request without a token is refused with the 401 challenge that leads clients to the issuer. */
async function assertChallengesAnonymousCallers(url: string, issuer: string): Promise<void> {
  const response = await postMcp(url);
  assert.equal(response.status, 401);
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(response);
  assert.ok(resourceMetadataUrl, 'the challenge names the protected resource metadata');
  const metadata = (await (await fetch(resourceMetadataUrl)).json()) as { resource: string; authorization_servers: string[] };
  assert.equal(metadata.resource, url);
  assert.deepEqual(metadata.authorization_servers, [issuer]);
}

describe('vendorValidateVerifier (examples/custom-verifier)', () => {
  let vendor: VendorFixture;
  const resourceUrl = 'http://localhost:9999/mcp';

  before(async () => {
    vendor = await VendorFixture.start();
  });
  after(async () => {
    await vendor.close();
  });

  it('maps a valid token to the claims the vendor returns, asking with GET and a bearer header', async () => {
    const exp = inFiveMinutes();
    vendor.tokens.set('valid-token', {
      sub: 'ada',
      aud: resourceUrl,
      exp,
      scope: 'read:whoami other',
      iss: vendor.url,
      email: 'ada@example.com',
      applicationId: 'app-1',
    });
    const verified = await vendorValidateVerifier({ baseUrl: vendor.url }).verify('valid-token');
    assert.equal(verified.subject, 'ada');
    assert.deepEqual(verified.audience, [resourceUrl]);
    assert.deepEqual(verified.scopes, ['read:whoami', 'other']);
    assert.equal(verified.expiresAt, exp);
    assert.equal(verified.email, 'ada@example.com');
    assert.equal(verified.issuer, vendor.url);
    assert.equal(verified.claims['applicationId'], 'app-1');
    assert.deepEqual(vendor.requests.at(-1), { method: 'GET', path: '/api/jwt/validate', authorization: 'Bearer valid-token' });
  });

  it('keeps a path prefix in the base URL', async () => {
    const verifier = vendorValidateVerifier({ baseUrl: `${vendor.url}/tenant-a/` });
    await assert.rejects(verifier.verify('valid-token'), VerifierUnavailableError); // the fixture has no /tenant-a: 404
    assert.equal(vendor.requests.at(-1)?.path, '/tenant-a/api/jwt/validate');
  });

  it('turns a 401 from the vendor into InvalidTokenError', async () => {
    await assert.rejects(vendorValidateVerifier({ baseUrl: vendor.url }).verify('unknown-token'), InvalidTokenError);
  });

  it('turns a 500 from the vendor into VerifierUnavailableError', async () => {
    vendor.failWith = 500;
    try {
      await assert.rejects(vendorValidateVerifier({ baseUrl: vendor.url }).verify('valid-token'), VerifierUnavailableError);
    } finally {
      vendor.failWith = undefined;
    }
  });

  it('turns a slow vendor into VerifierUnavailableError after timeoutMs', async () => {
    vendor.delayMs = 1_000;
    try {
      const started = Date.now();
      await assert.rejects(vendorValidateVerifier({ baseUrl: vendor.url, timeoutMs: 100 }).verify('valid-token'), VerifierUnavailableError);
      assert.ok(Date.now() - started < 900, 'gave up before the vendor answered');
    } finally {
      vendor.delayMs = 0;
    }
  });

  it('turns a closed port into VerifierUnavailableError', async () => {
    const port = await freePort();
    await assert.rejects(vendorValidateVerifier({ baseUrl: `http://127.0.0.1:${port}` }).verify('valid-token'), VerifierUnavailableError);
  });

  it('refuses a 200 without a "jwt" object rather than accepting it', async () => {
    const odd = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const verifier = vendorValidateVerifier({ baseUrl: `http://127.0.0.1:${(odd.address() as AddressInfo).port}` });
      await assert.rejects(verifier.verify('any-token'), VerifierUnavailableError);
    } finally {
      odd.closeAllConnections();
      await new Promise<void>((resolve) => odd.close(() => resolve()));
    }
  });
});

describe('a Gatehouse server using vendorValidateVerifier', () => {
  let vendor: VendorFixture;
  let server: TestServer;

  before(async () => {
    vendor = await VendorFixture.start();
    server = await startServer(vendorValidateVerifier({ baseUrl: vendor.url }), { issuer: vendor.url });
  });
  after(async () => {
    await server.close();
    await vendor.close();
  });

  it('answers whoami through the official client', async () => {
    vendor.tokens.set('grace-token', {
      sub: 'grace',
      aud: server.urls.resource,
      exp: inFiveMinutes(),
      scope: 'read:whoami',
      iss: vendor.url,
      preferred_username: 'grace.h',
      client_id: 'mcp-client',
    });
    const result = await callTool(server.urls.resource, 'grace-token', 'whoami');
    assert.deepEqual(result.structuredContent, {
      authenticated: true,
      kind: 'person',
      subject: 'grace',
      username: 'grace.h',
      clientId: 'mcp-client',
      scopes: ['read:whoami'],
      issuer: vendor.url,
    });
  });

  it('answers 401 for a token the vendor rejects, and 503 while the vendor is failing', async () => {
    assert.equal((await postMcp(server.urls.resource, 'not-a-vendor-token')).status, 401);
    vendor.failWith = 503;
    try {
      const response = await postMcp(server.urls.resource, 'grace-token');
      assert.equal(response.status, 503);
      assert.ok(response.headers.get('retry-after'));
    } finally {
      vendor.failWith = undefined;
    }
  });

  it('still enforces the audience on what the vendor vouches for', async () => {
    vendor.tokens.set('elsewhere-token', { sub: 'grace', aud: 'https://other.example.com/mcp', exp: inFiveMinutes(), scope: 'read:whoami' });
    assert.equal((await postMcp(server.urls.resource, 'elsewhere-token')).status, 401);
  });
});

describe('examples/jwks/server.ts as a process', () => {
  let issuer: TestIssuer;
  let example: RunningExample | undefined;

  before(async () => {
    issuer = await TestIssuer.start();
    // The fixture serves its keys at /jwks, so JWKS_URI overrides the /.well-known default.
    example = await startExample('jwks', { ISSUER_URL: issuer.url, JWKS_URI: issuer.jwksUri, PORT: String(await freePort()) });
  });
  after(async () => {
    await stopExample(example?.child);
    await issuer.close();
  });

  it('answers whoami for a valid token', async () => {
    const token = await issuer.token(example!.url, { sub: 'ada', scope: 'read:whoami' });
    const result = await callTool(example!.url, token, 'whoami');
    assert.equal((result.structuredContent as { subject?: string }).subject, 'ada');
  });

  it('answers echo with the caller found through getCaller()', async () => {
    const token = await issuer.token(example!.url, { sub: 'ada', scope: 'read:whoami tools:echo', claims: { preferred_username: 'ada.l' } });
    const result = await callTool(example!.url, token, 'echo', { text: 'hello' });
    assert.deepEqual(result.structuredContent, { text: 'hello', from: 'ada.l' });
  });

  it('refuses echo with 403 insufficient_scope naming tools:echo when the token lacks it', async () => {
    const token = await issuer.token(example!.url, { sub: 'ada', scope: 'read:whoami' });
    // The official client turns the 403 challenge into InsufficientScopeError carrying the scope to ask for.
    await assert.rejects(
      callTool(example!.url, token, 'echo', { text: 'hello' }),
      (error: unknown) => error instanceof InsufficientScopeError && error.requiredScope === 'tools:echo',
    );
    const raw = await postMcp(
      example!.url,
      token,
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } }),
    );
    assert.equal(raw.status, 403);
    assert.match(raw.headers.get('www-authenticate') ?? '', /error="insufficient_scope".*scope="tools:echo"/);
  });

  it('answers 401 without a token', async () => {
    await assertChallengesAnonymousCallers(example!.url, issuer.url);
  });
});

describe('examples/introspection/server.ts as a process', () => {
  let as: TestIntrospectionServer;
  let example: RunningExample | undefined;

  before(async () => {
    as = await TestIntrospectionServer.start();
    example = await startExample('introspection', {
      ISSUER_URL: as.url,
      INTROSPECTION_URL: as.endpoint,
      INTROSPECTION_CLIENT_ID: as.clientId,
      INTROSPECTION_CLIENT_SECRET: as.clientSecret,
      PORT: String(await freePort()),
    });
  });
  after(async () => {
    await stopExample(example?.child);
    await as.close();
  });

  it('answers whoami for an active opaque token', async () => {
    as.tokens.set('opaque-token-1', { sub: 'grace', aud: example!.url, scope: 'read:whoami', exp: inFiveMinutes(), iss: as.url, client_id: 'cli' });
    const result = await callTool(example!.url, 'opaque-token-1', 'whoami');
    assert.equal((result.structuredContent as { subject?: string }).subject, 'grace');
    assert.ok(as.calls > 0, 'the example asked the introspection endpoint');
  });

  it('answers 401 without a token, and for a token the issuer does not know', async () => {
    await assertChallengesAnonymousCallers(example!.url, as.url);
    assert.equal((await postMcp(example!.url, 'opaque-unknown')).status, 401);
  });
});

describe('examples/custom-verifier/server.ts as a process', () => {
  let vendor: VendorFixture;
  let example: RunningExample | undefined;

  before(async () => {
    vendor = await VendorFixture.start();
    example = await startExample('custom-verifier', { VENDOR_BASE_URL: vendor.url, ISSUER_URL: vendor.url, PORT: String(await freePort()) });
  });
  after(async () => {
    await stopExample(example?.child);
    await vendor.close();
  });

  it('answers whoami for a token the vendor validates', async () => {
    vendor.tokens.set('vendor-token-1', { sub: 'linus', aud: example!.url, scope: 'read:whoami', exp: inFiveMinutes(), iss: vendor.url });
    const result = await callTool(example!.url, 'vendor-token-1', 'whoami');
    assert.equal((result.structuredContent as { subject?: string }).subject, 'linus');
    assert.equal(vendor.requests.at(-1)?.authorization, 'Bearer vendor-token-1');
  });

  it('answers 401 without a token, and for a token the vendor rejects', async () => {
    await assertChallengesAnonymousCallers(example!.url, vendor.url);
    assert.equal((await postMcp(example!.url, 'vendor-unknown')).status, 401);
  });
});

describe('examples with missing configuration', () => {
  const cases: { name: string; env: Record<string, string>; missing: string }[] = [
    { name: 'jwks', env: {}, missing: 'ISSUER_URL' },
    {
      name: 'introspection',
      env: { ISSUER_URL: 'https://as.example.com', INTROSPECTION_URL: 'https://as.example.com/introspect', INTROSPECTION_CLIENT_ID: 'rs' },
      missing: 'INTROSPECTION_CLIENT_SECRET',
    },
    { name: 'custom-verifier', env: { ISSUER_URL: 'https://as.example.com' }, missing: 'VENDOR_BASE_URL' },
  ];
  for (const { name, env, missing } of cases) {
    it(`examples/${name} exits non-zero naming ${missing}`, async () => {
      const { code, output } = await runToExit(name, env);
      assert.notEqual(code, 0);
      assert.match(output, new RegExp(`Missing required environment variable ${missing}\\b`));
    });
  }
});
