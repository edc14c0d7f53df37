import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serve } from '@hono/node-server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import express from 'express';
import { Hono } from 'hono';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { AuditLog, embedded, type GatehouseServer, jwt, openStore, protect, resource, type Store } from '../../src/index.js';
import { nativeClientMetadata, obtainTokens, registerClient } from '../helpers/authorize.js';
import { TestIssuer } from '../helpers/issuer.js';
import { NOTES_SCOPES, notesServer } from '../helpers/sdk-server.js';
import { captureLogger, postMcp, rawRequest } from '../helpers/server.js';

/** A free loopback port, so the public URL is known before the person's own server starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function listenOn(server: Server, port: number): Promise<void> {
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
}

const closeServer = (server: Server) => new Promise((resolve) => server.close(resolve));

async function whoami(url: string, token: string): Promise<unknown> {
  const client = new Client({ name: 'mount-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).content;
  } finally {
    await client.close();
  }
}

/** A gate in resource mode, trusting the test issuer, for a server that will be at `publicUrl`. */
function resourceGate(issuer: TestIssuer, publicUrl: string): GatehouseServer {
  return protect(() => notesServer(), {
    auth: resource({ authorizationServers: issuer.url, verifier: jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }) }),
    scopes: NOTES_SCOPES,
    publicUrl,
    logger: captureLogger().logger,
  });
}

/** The checks every mounted resource-mode gate must pass, beside the person's own route. */
async function assertServesResourceMode(issuer: TestIssuer, base: string): Promise<void> {
  const mcp = `${base}/mcp`;
  const anonymous = await postMcp(mcp);
  assert.equal(anonymous.status, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /resource_metadata="[^"]+\/\.well-known\/oauth-protected-resource\/mcp"/);
  const metadata = (await (await fetch(`${base}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<string, unknown>;
  assert.equal(metadata['resource'], mcp);
  assert.deepEqual(metadata['authorization_servers'], [issuer.url]);
  assert.deepEqual(await whoami(mcp, await issuer.token(mcp, { scope: 'read:whoami', sub: 'grace' })), [{ type: 'text', text: 'grace' }]);
  const refused = await postMcp(
    mcp,
    await issuer.token(mcp, { scope: '' }),
    JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prompts/get', params: { name: 'greet' } }),
    { 'mcp-protocol-version': '2025-11-25' },
  );
  assert.equal(refused.status, 403);
  assert.match(refused.headers.get('www-authenticate') ?? '', /scope="prompts:greet"/);
  assert.equal(await (await fetch(`${base}/hello`)).text(), 'hello from my app');
  // Gatehouse's landing page stays off when mounted: the app's own `/` answers, though it comes after the gate.
  assert.equal(await (await fetch(`${base}/`, { headers: { accept: 'text/html' } })).text(), 'home of my app');
}

describe('mounting Gatehouse in Express, with its body parsers in front and the embedded authorization server', () => {
  let server: Server;
  let gate: GatehouseServer;
  let base: string;
  let store: Store;
  const email = 'ada@example.com';
  const password = 'correct horse battery staple';
  before(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-mount-'));
    store = await openStore(join(dataDir, 'gatehouse.db'));
    await new Accounts(store).create(email, password);
    gate = protect(() => notesServer(), {
      auth: embedded({ dataDir, store, authorizationRequestsPerMinute: 100_000 }),
      scopes: NOTES_SCOPES,
      publicUrl: base,
      logger: captureLogger().logger,
    });
    const app = express();
    app.use(express.json());
    app.use(express.urlencoded({ extended: false }));
    app.use(gate.express());
    app.get('/hello', (_req, res) => {
      res.send('hello from my app');
    });
    app.get('/', (_req, res) => {
      res.send('home of my app');
    });
    server = createServer(app);
    await listenOn(server, port);
  });
  after(async () => {
    await closeServer(server);
    await gate.close();
  });

  it('runs the whole OAuth flow through Express: discovery, registration, sign-in, consent, tokens, and the tool', async () => {
    const asMetadata = (await (await fetch(`${base}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    assert.equal(asMetadata['issuer'], base);
    // The authorization server offers the scopes of the tools, resources and prompts of the person's own server.
    for (const scope of ['read:whoami', 'notes:read', 'prompts:greet']) assert.ok((asMetadata['scopes_supported'] as string[]).includes(scope), scope);
    const target = { urls: { issuer: base, resource: `${base}/mcp` } } as const;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const registration = await registerClient(target as never, nativeClientMetadata(redirectUri));
    assert.equal(registration.status, 201, JSON.stringify(registration.body));
    const clientId = String(registration.body['client_id']);
    const tokens = await obtainTokens({
      server: target as never,
      clientId,
      redirectUri,
      email,
      password,
      scope: 'read:whoami',
      resource: `${base}/mcp`,
    });
    const content = (await whoami(`${base}/mcp`, tokens.accessToken)) as { text: string }[];
    assert.ok(content[0]?.text, 'whoami answers the subject');
    // The person's own tool is audited like a tool of gatehouse(): who, which client, the outcome.
    const [called] = await new AuditLog(store, captureLogger().logger).list({ type: 'tool.called' });
    assert.equal(called?.tool, 'whoami');
    assert.equal(called?.clientId, clientId);
    assert.equal(called?.subject, content[0]?.text);
    assert.equal(called?.outcome, 'success');
  });

  it("leaves the person's own routes, and paths Gatehouse does not own, to Express", async () => {
    assert.equal(await (await fetch(`${base}/hello`)).text(), 'hello from my app');
    assert.equal(await (await fetch(`${base}/`, { headers: { accept: 'text/html' } })).text(), 'home of my app', 'the app keeps its own /');
    const missing = await fetch(`${base}/not-here`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /Cannot GET \/not-here/, "Express's own 404");
  });
});

/**
 * Before/after hooks for a resource-mode gate at `http://localhost:<port><prefix>`, mounted by `mount` in a server of
 * the person's own on that port; `mount` returns how to stop that server. The fixture is filled in `before`.
 */
function useMountedGate(prefix: string, mount: (gate: GatehouseServer, port: number) => Promise<() => Promise<unknown>>) {
  const fixture = {} as { issuer: TestIssuer; gate: GatehouseServer; origin: string };
  let stop: () => Promise<unknown>;
  before(async () => {
    fixture.issuer = await TestIssuer.start();
    const port = await freePort();
    fixture.origin = `http://localhost:${port}`;
    fixture.gate = resourceGate(fixture.issuer, `${fixture.origin}${prefix}`);
    stop = await mount(fixture.gate, port);
  });
  after(async () => {
    await stop();
    await fixture.gate.close();
    await fixture.issuer.close();
  });
  return fixture;
}

/** Serve a Node request handler on the port; return how to stop it. */
async function serveNode(handler: RequestListener, port: number): Promise<() => Promise<unknown>> {
  const server = createServer(handler);
  await listenOn(server, port);
  return () => closeServer(server);
}

describe('mounting Gatehouse in Hono on @hono/node-server', () => {
  const fx = useMountedGate('', async (gate, port) => {
    const app = new Hono();
    app.use(gate.hono());
    app.get('/hello', (c) => c.text('hello from my app'));
    app.get('/', (c) => c.text('home of my app'));
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
    return () => new Promise((resolve) => server.close(resolve));
  });

  it('serves the MCP endpoint, discovery and scope challenges, and the app its own routes', () => assertServesResourceMode(fx.issuer, fx.origin));
});

describe('mounting Gatehouse in a plain node:http server', () => {
  const fx = useMountedGate('', (gate, port) => {
    const handle = gate.node();
    return serveNode((req, res) => handle(req, res, () => res.end(req.url === '/' ? 'home of my app' : 'hello from my app')), port);
  });

  it('serves the MCP endpoint, discovery and scope challenges, and hands the rest to the fallback', () => assertServesResourceMode(fx.issuer, fx.origin));

  it('still refuses a request that names no Host (the URL stands in only for a fetch handler)', async () => {
    const response = await rawRequest(`${fx.origin}/mcp`, { method: 'POST', headers: ['content-type', 'application/json'], body: '{}' });
    assert.ok(response.status === 400 || response.status === 403, `status ${response.status}`);
  });
});

describe('mounting Gatehouse under a path prefix of its own', () => {
  const fx = useMountedGate('/tools', (gate, port) => {
    const app = express();
    app.use(gate.express());
    app.get('/mcp', (_req, res) => {
      res.send('the app keeps its own /mcp');
    });
    app.get('/tools', (_req, res) => {
      res.send('the app keeps its own /tools');
    });
    return serveNode(app, port);
  });

  it('serves the endpoint under the prefix and its metadata at the path-inserted well-known URL', async () => {
    const { origin, issuer } = fx;
    const mcp = `${origin}/tools/mcp`;
    assert.equal((await postMcp(mcp)).status, 401);
    const metadata = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/tools/mcp`)).json()) as Record<string, unknown>;
    assert.equal(metadata['resource'], mcp);
    assert.deepEqual(await whoami(mcp, await issuer.token(mcp, { scope: 'read:whoami', sub: 'hedy' })), [{ type: 'text', text: 'hedy' }]);
    assert.equal(await (await fetch(`${origin}/mcp`)).text(), 'the app keeps its own /mcp');
    assert.equal(await (await fetch(`${origin}/tools`, { headers: { accept: 'text/html' } })).text(), 'the app keeps its own /tools');
  });
});

describe('Gatehouse as a web-standard fetch handler', () => {
  let issuer: TestIssuer;
  let gate: GatehouseServer;
  const base = 'https://mcp.example.com';
  before(async () => {
    issuer = await TestIssuer.start();
    gate = resourceGate(issuer, base);
  });
  after(async () => {
    await gate.close();
    await issuer.close();
  });

  const post = (body: string, token?: string) =>
    gate.fetch(
      new Request(`${base}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
          ...(token && { authorization: `Bearer ${token}` }),
        },
        body,
      }),
    );

  it('answers Request with Response: the challenge, the metadata, a tool call with a token', async () => {
    const call = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
    assert.equal((await post(call)).status, 401);
    const metadata = await gate.fetch(new Request(`${base}/.well-known/oauth-protected-resource/mcp`));
    assert.equal(((await metadata.json()) as Record<string, unknown>)['resource'], `${base}/mcp`);
    const answered = await post(call, await issuer.token(`${base}/mcp`, { scope: 'read:whoami', sub: 'linus' }));
    assert.equal(answered.status, 200);
    assert.match(await answered.text(), /"text":"linus"/);
  });

  it('refuses to start mounted without a public URL, saying which option to set', async () => {
    const unplaced = protect(() => notesServer(), {
      auth: resource({ authorizationServers: issuer.url, verifier: jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }) }),
    });
    await assert.rejects(unplaced.fetch(new Request(`${base}/mcp`)), /publicUrl is needed/);
  });
});
