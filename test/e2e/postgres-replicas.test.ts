import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { authorize, callMcp, obtainTokens, redeemCode, refresh, revoke } from '../helpers/authorize.js';
import type { GatehouseProcess } from '../helpers/gatehouse-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { ReplicaCluster } from '../helpers/replica-cluster.js';

/** The replicas' shared secret: it seals the signing keys they keep in PostgreSQL. */
const ENV = { GATEHOUSE_SECRET: randomBytes(32).toString('base64url') };

/**
 * Three `gatehouse serve` processes on one PostgreSQL database, behind a round-robin balancer: any replica serves
 * any request, single use and revocation stay exact across them, and restarting them all loses nothing.
 */
describe('three replicas on one PostgreSQL', () => {
  const prefix = 'replicas';
  let db: TestDatabase;
  let cluster: ReplicaCluster;

  before(async () => {
    db = await createTestDatabase();
    cluster = await ReplicaCluster.start({ store: ['--store', db.url, '--store-prefix', prefix], env: ENV });
  });

  after(async () => {
    await cluster?.stop();
    await db?.drop();
  });

  const direct = (replica: GatehouseProcess) => cluster.direct(replica);
  const tokensFor = () => obtainTokens(cluster.signIn());

  it('completes a full OAuth flow whose every request lands on a different replica', async () => {
    const before = [...cluster.balancer.served];
    const tokens = await tokensFor();
    const spread = cluster.balancer.served.map((n, i) => n - before[i]!);
    assert.ok(
      spread.every((n) => n > 0),
      `every replica served part of the flow: ${spread}`,
    );
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 200, `replica ${replica.port} accepts the token`);
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
    const flow = await authorize(cluster.signIn());
    const code = flow.params.get('code')!;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        redeemCode(direct(cluster.replicas[i % 3]!), { client: cluster.client, code, redirectUri: cluster.callback.url, codeVerifier: flow.codeVerifier }),
      ),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
  });

  it('one hundred concurrent uses of one refresh token across replicas: exactly one succeeds, and the replay revokes the grant', async () => {
    const tokens = await tokensFor();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => refresh(direct(cluster.replicas[i % 3]!), { client: cluster.client, refreshToken: tokens.refreshToken })),
    );
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, results.map((r) => r.status).join(','));
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), String(winners[0]!.body['access_token']))).status, 401, `replica ${replica.port}`);
    }
  });

  it('an access token revoked on one replica is refused by every replica at once', async () => {
    const tokens = await tokensFor();
    for (const replica of cluster.replicas) assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 200);
    const revoked = await revoke(direct(cluster.replicas[1]!), { client: cluster.client, token: tokens.accessToken, tokenTypeHint: 'access_token' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 401, `replica ${replica.port} refuses it`);
    }
  });

  it('loses nothing when every replica restarts: accounts, clients, grants, keys and spent codes', async () => {
    const tokens = await tokensFor();
    const flow = await authorize(cluster.signIn());
    const code = flow.params.get('code')!;
    const redeem = (replica: GatehouseProcess) =>
      redeemCode(direct(replica), { client: cluster.client, code, redirectUri: cluster.callback.url, codeVerifier: flow.codeVerifier });
    assert.equal((await redeem(cluster.replicas[0]!)).status, 200);

    await cluster.restart();

    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 200, 'a token signed before the restart still verifies');
    }
    const refreshed = await refresh(direct(cluster.replicas[2]!), { client: cluster.client, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, `the grant survived: ${JSON.stringify(refreshed.body)}`);
    // Last: replaying a code revokes what it granted (RFC 9700 §4.1.2), which may be the grant refreshed above.
    assert.notEqual((await redeem(cluster.replicas[1]!)).status, 200, 'a code spent before the restart stays spent');
    const again = await tokensFor();
    assert.equal((await callMcp(direct(cluster.replicas[0]!), again.accessToken)).status, 200, 'the account and the client survived');
  });
});
