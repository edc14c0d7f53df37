import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { decodeJwt } from '../helpers/authorize.js';
import { freePort } from '../helpers/cli.js';
import { gatehouseCommand, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const LOOPBACK_KEYS = '--dangerously-allow-loopback-client-metadata';

/** A signing key of a machine client, and its public half as a JWK Set. */
async function clientKey(): Promise<{ privateKey: CryptoKey; jwks: { keys: JWK[] } }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: randomUUID() }] } };
}

/** A `private_key_jwt` client assertion (RFC 7523 §2.2). */
function assertion(key: CryptoKey, clientId: string, audience: string, options: { expiresIn?: number; jti?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(audience)
    .setJti(options.jti ?? randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${options.expiresIn ?? 60}s`)
    .sign(key);
}

/** POST /token with grant_type=client_credentials. */
async function tokenRequest(
  issuer: string,
  params: Record<string, string>,
  basic?: { id: string; secret: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const response = await fetch(`${issuer}/token`, { method: 'POST', headers, body: new URLSearchParams({ grant_type: 'client_credentials', ...params }) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Call whoami with this token through the official MCP client. */
async function whoami(resource: string, token: string): Promise<Record<string, unknown>> {
  const client = new Client({ name: 'machine-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  try {
    return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<string, unknown>;
  } finally {
    await client.close();
  }
}

/** A JWKS endpoint on loopback, as a machine client would publish its keys. */
async function serveJwks(jwks: object): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`, server };
}

type Registered = { client_id: string; client_secret?: string; client_name: string };

describe('machine clients against `gatehouse serve`', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-machines-'));
  const keyDir = mkdtempSync(join(tmpdir(), 'gh-machine-keys-'));
  let gatehouse: GatehouseProcess;
  let jwksServer: { url: string; server: Server };
  let uriKey: Awaited<ReturnType<typeof clientKey>>;
  let fileKey: Awaited<ReturnType<typeof clientKey>>;
  let bot: Registered;
  let uriClient: Registered;
  let fileClient: Registered;
  let unused: Registered;
  let issuer: string;
  let resource: string;

  const add = async (...args: string[]) =>
    JSON.parse(await gatehouseCommand(['clients', 'add', '--machine', '--json', '--data-dir', dataDir, ...args])) as Registered;

  before(async () => {
    uriKey = await clientKey();
    fileKey = await clientKey();
    jwksServer = await serveJwks(uriKey.jwks);
    const jwksFile = join(keyDir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(fileKey.jwks));
    bot = await add('--name', 'ci-bot', '--scope', 'read:whoami');
    uriClient = await add('--name', 'keyed-bot', '--scope', 'read:whoami', '--jwks-uri', jwksServer.url, LOOPBACK_KEYS);
    fileClient = await add('--name', 'file-bot', '--scope', 'read:whoami', '--jwks-file', jwksFile);
    unused = await add('--name', 'idle-bot', '--scope', 'read:whoami');
    gatehouse = await startGatehouse({ dataDir, args: [LOOPBACK_KEYS, '--client-credentials-token-ttl-seconds', '90', '--access-token-ttl-seconds', '120'] });
    issuer = gatehouse.urls.issuer;
    resource = gatehouse.urls.resource;
  });

  after(async () => {
    await gatehouse?.stop();
    jwksServer?.server.close();
  });

  it('a secret client gets a token for the resource, with its own lifetime and no refresh token, and whoami names a machine', async () => {
    assert.ok(bot.client_secret, 'a secret is printed once');
    const { status, body } = await tokenRequest(issuer, { scope: 'read:whoami' }, { id: bot.client_id, secret: bot.client_secret! });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body['expires_in'], 90);
    assert.equal(body['refresh_token'], undefined);
    assert.equal(body['scope'], 'read:whoami');
    const claims = decodeJwt(String(body['access_token']));
    assert.equal(claims['aud'], resource);
    assert.equal(claims['sub'], bot.client_id);
    assert.deepEqual(await whoami(resource, String(body['access_token'])), {
      authenticated: true,
      kind: 'machine',
      subject: bot.client_id,
      clientId: bot.client_id,
      clientName: 'ci-bot',
      scopes: ['read:whoami'],
      issuer,
    });
  });

  it('a scope beyond the allowance is refused when the server knows it, dropped when it does not; never granted', async () => {
    const secret = { id: bot.client_id, secret: bot.client_secret! };
    const beyond = await tokenRequest(issuer, { scope: 'read:whoami offline_access' }, secret);
    assert.equal(beyond.status, 400);
    assert.equal(beyond.body['error'], 'invalid_scope');
    const unknown = await tokenRequest(issuer, { scope: 'read:whoami admin:everything' }, secret);
    assert.equal(unknown.status, 200);
    assert.equal(unknown.body['scope'], 'read:whoami');
    assert.equal(decodeJwt(String(unknown.body['access_token']))['scope'], 'read:whoami');
    const nothingLeft = await tokenRequest(issuer, { scope: 'admin:everything' }, secret);
    assert.equal(nothingLeft.status, 400);
    assert.equal(nothingLeft.body['error'], 'invalid_scope');
  });

  it('a wrong secret is refused with 401 invalid_client', async () => {
    const { status, body } = await tokenRequest(issuer, { scope: 'read:whoami' }, { id: bot.client_id, secret: randomBytes(32).toString('base64url') });
    assert.equal(status, 401);
    assert.equal(body['error'], 'invalid_client');
  });

  it('keeps the secret only hashed: it appears nowhere in the data directory', () => {
    const secret = Buffer.from(bot.client_secret!);
    for (const name of readdirSync(dataDir)) {
      if (!name.startsWith('gatehouse.db')) continue;
      assert.equal(readFileSync(join(dataDir, name)).indexOf(secret), -1, `the plaintext secret is in ${name}`);
    }
  });

  it('private_key_jwt with keys at a JWKS URL: the assertion works once, a replay is refused', async () => {
    const signed = await assertion(uriKey.privateKey, uriClient.client_id, issuer);
    const params = { scope: 'read:whoami', client_id: uriClient.client_id, client_assertion_type: ASSERTION_TYPE, client_assertion: signed };
    const first = await tokenRequest(issuer, params);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body['refresh_token'], undefined);
    const caller = await whoami(resource, String(first.body['access_token']));
    assert.equal(caller['kind'], 'machine');
    assert.equal(caller['clientName'], 'keyed-bot');
    const replay = await tokenRequest(issuer, params);
    assert.equal(replay.status, 401);
    assert.equal(replay.body['error'], 'invalid_client');
  });

  it('private_key_jwt with keys from a file; the token endpoint as audience works too; long-lived, misaddressed or foreign-key assertions are refused', async () => {
    const request = (clientAssertion: string) =>
      tokenRequest(issuer, { scope: 'read:whoami', client_id: fileClient.client_id, client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion });
    assert.equal((await request(await assertion(fileKey.privateKey, fileClient.client_id, issuer))).status, 200);
    assert.equal((await request(await assertion(fileKey.privateKey, fileClient.client_id, `${issuer}/token`))).status, 200);
    for (const [what, signed] of [
      ['an hour-long assertion', await assertion(fileKey.privateKey, fileClient.client_id, issuer, { expiresIn: 3600 })],
      ['another audience', await assertion(fileKey.privateKey, fileClient.client_id, 'https://elsewhere.example')],
      ["another client's key", await assertion(uriKey.privateKey, fileClient.client_id, issuer)],
    ] as const) {
      const refused = await request(signed);
      assert.equal(refused.status, 401, what);
      assert.equal(refused.body['error'], 'invalid_client', what);
    }
  });

  it('clients list shows each client kind and when it last got a token', async () => {
    const list = JSON.parse(await gatehouseCommand(['clients', 'list', '--json', '--data-dir', dataDir])) as Array<Record<string, unknown>>;
    const byId = new Map(list.map((c) => [c['client_id'], c]));
    assert.equal(byId.get(bot.client_id)?.['kind'], 'machine');
    assert.equal(byId.get(bot.client_id)?.['client_secret'], undefined);
    assert.ok(Date.parse(String(byId.get(bot.client_id)?.['last_used_at'])) > Date.now() - 600_000);
    assert.equal(byId.get(unused.client_id)?.['last_used_at'], null);
    const text = await gatehouseCommand(['clients', 'list', '--data-dir', dataDir]);
    const row = text
      .split('\n')
      .find((line) => line.startsWith(unused.client_id))
      ?.split(/ {2,}/);
    assert.deepEqual([row?.[1], row?.[2], row?.[4], row?.[5]], ['machine', 'idle-bot', 'never', 'scopes: read:whoami']);
  });

  it('rotate-secret: the old secret stops working, the new one works, and the audit trail records it', async () => {
    const rotated = JSON.parse(await gatehouseCommand(['clients', 'rotate-secret', bot.client_id, '--json', '--data-dir', dataDir])) as Registered;
    assert.notEqual(rotated.client_secret, bot.client_secret);
    const old = await tokenRequest(issuer, { scope: 'read:whoami' }, { id: bot.client_id, secret: bot.client_secret! });
    assert.equal(old.status, 401);
    const fresh = await tokenRequest(issuer, { scope: 'read:whoami' }, { id: bot.client_id, secret: rotated.client_secret! });
    assert.equal(fresh.status, 200);
    const events = (await gatehouseCommand(['audit', '--client', bot.client_id, '--json', '--data-dir', dataDir]))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const types = events.map((e) => e['type']);
    for (const type of ['client.registered', 'client.secret_rotated', 'token.issued']) assert.ok(types.includes(type), `${type} in ${types}`);
    assert.ok(events.some((e) => e['type'] === 'token.issued' && e['reason'] === 'client_credentials'));
  });

  it('removing a machine client ends its tokens at once', async () => {
    const { body } = await tokenRequest(issuer, { scope: 'read:whoami' }, { id: unused.client_id, secret: unused.client_secret! });
    const token = String(body['access_token']);
    assert.equal((await whoami(resource, token))['kind'], 'machine');
    await gatehouseCommand(['clients', 'remove', unused.client_id, '--data-dir', dataDir]);
    const response = await fetch(resource, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(response.status, 401);
  });
});

describe('a private_key_jwt assertion is single use across replicas on Redis', () => {
  const REDIS = process.env['GATEHOUSE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
  const prefix = `test-machines-${randomBytes(4).toString('hex')}`;
  const env = { GATEHOUSE_SECRET: randomBytes(32).toString('base64url') };
  const store = ['--store', REDIS, '--store-prefix', prefix];
  let replicas: GatehouseProcess[] = [];
  let key: Awaited<ReturnType<typeof clientKey>>;
  let clientId: string;
  let publicUrl: string;

  before(async () => {
    key = await clientKey();
    const jwksFile = join(mkdtempSync(join(tmpdir(), 'gh-machine-keys-')), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify(key.jwks));
    // Both replicas publish one issuer (the assertion's audience), as they would behind one balancer.
    publicUrl = `http://localhost:${await freePort()}`;
    const added = await gatehouseCommand(['clients', 'add', '--machine', '--json', '--scope', 'read:whoami', '--jwks-file', jwksFile, ...store], { env });
    clientId = (JSON.parse(added) as Registered).client_id;
    replicas = await Promise.all([0, 1].map(() => startGatehouse({ args: [...store, '--public-url', publicUrl], env })));
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`{${prefix}}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('the same assertion sent to both replicas at once gets exactly one token', async () => {
    for (let round = 0; round < 5; round++) {
      const signed = await assertion(key.privateKey, clientId, publicUrl);
      const params = { scope: 'read:whoami', client_id: clientId, client_assertion_type: ASSERTION_TYPE, client_assertion: signed };
      const answers = await Promise.all(replicas.map((r) => tokenRequest(`http://localhost:${r.port}`, params)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401], JSON.stringify(answers.map((a) => a.body)));
    }
  });
});
