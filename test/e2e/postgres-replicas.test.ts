import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { serverUrls, type ServerUrls } from '../../src/resource/urls.js';
import { authorize, callMcp, nativeClientMetadata, obtainTokens, redeemCode, refresh, registerClient, revoke } from '../helpers/authorize.js';
import { freePort } from '../helpers/cli.js';
import { gatehouseCommand, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { RoundRobin } from '../helpers/round-robin.js';

const PASSWORD = 'correct horse battery staple';
/** The replicas' shared secret: it seals the signing keys they keep in PostgreSQL. */
const ENV = { GATEHOUSE_SECRET: randomBytes(32).toString('base64url') };

/**
 * Three `gatehouse serve` processes on one PostgreSQL database, behind a round-robin balancer: any replica serves
 * any request, single use and revocation stay exact across them, and restarting them all loses nothing.
 */
describe('three replicas on one PostgreSQL', () => {
  const prefix = 'replicas';
  let db: TestDatabase;
  let replicas: GatehouseProcess[] = [];
  let balancer: RoundRobin;
  let callback: CallbackServer;
  let front: { urls: ServerUrls };
  let clientId: string;
  let frontPort: number;
  let shared: string[];

  const startReplicas = () => Promise.all([0, 1, 2].map(() => startGatehouse({ args: [...shared, '--token-requests-per-minute', '100000'], env: ENV })));

  before(async () => {
    db = await createTestDatabase();
    frontPort = await freePort();
    const publicUrl = `http://localhost:${frontPort}`;
    const store = ['--store', db.url, '--store-prefix', prefix];
    shared = [...store, '--public-url', publicUrl];
    await gatehouseCommand(['users', 'add', 'ada@example.com', '--password-stdin', ...store], { stdin: `${PASSWORD}\n`, env: ENV });
    // The races below send hundreds of token requests from one address: lift the per-address limit for them.
    replicas = await startReplicas();
    balancer = await RoundRobin.start(
      replicas.map((r) => r.port),
      frontPort,
    );
    front = { urls: serverUrls(publicUrl) };
    callback = await CallbackServer.start();
    const registered = await registerClient(front as never, nativeClientMetadata(callback.url));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    clientId = String(registered.body['client_id']);
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await balancer?.close();
    await callback?.close();
    await db?.drop();
  });

  /** The replica's own address, for calling one replica directly (the public URL stays the balancer's). */
  const direct = (replica: GatehouseProcess) => ({
    urls: { ...front.urls, issuer: `http://localhost:${replica.port}`, resource: `http://localhost:${replica.port}/mcp` },
  });
  const tokensFor = () => obtainTokens({ server: front as never, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });

  it('completes a full OAuth flow whose every request lands on a different replica', async () => {
    const before = [...balancer.served];
    const tokens = await tokensFor();
    const spread = balancer.served.map((n, i) => n - before[i]!);
    assert.ok(
      spread.every((n) => n > 0),
      `every replica served part of the flow: ${spread}`,
    );
    for (const replica of replicas) {
      assert.equal((await callMcp(direct(replica) as never, tokens.accessToken)).status, 200, `replica ${replica.port} accepts the token`);
    }
  });

  it('keeps the signing keys in the database sealed with GATEHOUSE_SECRET, never in the clear', async () => {
    const { rows } = await db.query(`SELECT value FROM "${prefix}".records WHERE kind = 'Keys'`);
    assert.equal(rows.length, 1);
    const stored = JSON.parse(String(rows[0]?.value)) as Record<string, unknown>;
    assert.equal(typeof stored['sealed'], 'string');
    assert.equal(stored['plain'], undefined);
    assert.doesNotMatch(String(rows[0]?.value), /"d"\s*:|PRIVATE KEY/, 'no private key material in the row');
  });

  it('one hundred concurrent redemptions of one code across replicas: exactly one succeeds', async () => {
    const flow = await authorize({ server: front as never, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });
    const code = flow.params.get('code')!;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        redeemCode(direct(replicas[i % 3]!) as never, { client: { clientId }, code, redirectUri: callback.url, codeVerifier: flow.codeVerifier }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
  });

  it('one hundred concurrent uses of one refresh token across replicas: exactly one succeeds, and the replay revokes the grant', async () => {
    const tokens = await tokensFor();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => refresh(direct(replicas[i % 3]!) as never, { client: { clientId }, refreshToken: tokens.refreshToken })),
    );
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, results.map((r) => r.status).join(','));
    for (const replica of replicas) {
      assert.equal((await callMcp(direct(replica) as never, String(winners[0]!.body['access_token']))).status, 401, `replica ${replica.port}`);
    }
  });

  it('an access token revoked on one replica is refused by every replica at once', async () => {
    const tokens = await tokensFor();
    for (const replica of replicas) assert.equal((await callMcp(direct(replica) as never, tokens.accessToken)).status, 200);
    const revoked = await revoke(direct(replicas[1]!) as never, { client: { clientId }, token: tokens.accessToken, tokenTypeHint: 'access_token' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    for (const replica of replicas) {
      assert.equal((await callMcp(direct(replica) as never, tokens.accessToken)).status, 401, `replica ${replica.port} refuses it`);
    }
  });

  it('loses nothing when every replica restarts: accounts, clients, grants, keys and spent codes', async () => {
    const tokens = await tokensFor();
    const flow = await authorize({ server: front as never, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });
    const code = flow.params.get('code')!;
    const redeem = (replica: GatehouseProcess) =>
      redeemCode(direct(replica) as never, { client: { clientId }, code, redirectUri: callback.url, codeVerifier: flow.codeVerifier });
    assert.equal((await redeem(replicas[0]!)).status, 200);

    await Promise.all(replicas.map((r) => r.stop()));
    await balancer.close();
    replicas = await startReplicas();
    balancer = await RoundRobin.start(
      replicas.map((r) => r.port),
      frontPort,
    );

    for (const replica of replicas) {
      assert.equal((await callMcp(direct(replica) as never, tokens.accessToken)).status, 200, 'a token signed before the restart still verifies');
    }
    const refreshed = await refresh(direct(replicas[2]!) as never, { client: { clientId }, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, `the grant survived: ${JSON.stringify(refreshed.body)}`);
    // Last: replaying a code revokes what it granted (RFC 9700 §4.1.2), which may be the grant refreshed above.
    assert.notEqual((await redeem(replicas[1]!)).status, 200, 'a code spent before the restart stays spent');
    const again = await tokensFor();
    assert.equal((await callMcp(direct(replicas[0]!) as never, again.accessToken)).status, 200, 'the account and the client survived');
  });
});
