import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  authorize,
  Browser,
  callMcp,
  parseForm,
  nativeClientMetadata,
  obtainTokens,
  redeemCode,
  refresh,
  registerClient,
  revoke,
} from '../helpers/authorize.js';
import { gatehouseCommand, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { CLUSTER_PERSON, ReplicaCluster } from '../helpers/replica-cluster.js';

const REDIS = process.env['GATEHOUSE_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';
/** The replicas' shared secret: it seals the signing keys they keep in Redis. */
const ENV = { GATEHOUSE_SECRET: randomBytes(32).toString('base64url') };

/**
 * Three `gatehouse serve` processes on one Redis, behind a round-robin balancer: any replica serves any
 * request, and single use and revocation stay exact across them.
 */
describe('three replicas on one Redis', () => {
  const prefix = `test-replicas-${randomBytes(4).toString('hex')}`;
  let cluster: ReplicaCluster;

  before(async () => {
    cluster = await ReplicaCluster.start({ store: ['--store', REDIS, '--store-prefix', prefix], env: ENV });
  });

  after(async () => {
    await cluster?.stop();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`{${prefix}}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const direct = (replica: GatehouseProcess) => cluster.direct(replica);

  it('completes a full OAuth flow whose every request lands on a different replica', async () => {
    const before = [...cluster.balancer.served];
    const tokens = await obtainTokens(cluster.signIn());
    const spread = cluster.balancer.served.map((n, i) => n - before[i]!);
    assert.ok(
      spread.every((n) => n > 0),
      `every replica served part of the flow: ${spread}`,
    );
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 200, `replica ${replica.port} accepts the token`);
    }
  });

  it('revocation on one replica is effective on all within a second', async () => {
    const tokens = await obtainTokens(cluster.signIn());
    const revoked = await revoke(direct(cluster.replicas[0]!), { client: cluster.client, token: tokens.refreshToken });
    assert.equal(revoked.status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 401, `replica ${replica.port} refuses it`);
    }
  });

  it('signing out leaves the app connected on every replica; disconnecting it ends its refresh token on the others at once', async () => {
    // The account page through the balancer: its requests land on different replicas, so its session is the store's.
    const browser = new Browser(cluster.front);
    const start = await browser.navigate(`${cluster.front.urls.issuer}/account`);
    assert.ok(start.kind === 'page');
    const signedIn = await browser.submit(start, CLUSTER_PERSON);
    assert.ok(signedIn.kind === 'page' && signedIn.body.includes('Sign out'));
    const tokens = await obtainTokens({ ...cluster.signIn(), browser });
    const signOut = parseForm(signedIn.body.slice(signedIn.body.lastIndexOf('<form')), signedIn.url)!;
    await browser.post(signOut.action, { csrf: signOut.csrf });
    const kept = await refresh(direct(cluster.replicas[1]!), { client: cluster.client, refreshToken: tokens.refreshToken });
    assert.equal(kept.status, 200, `signing out disconnects no app: ${JSON.stringify(kept.body)}`);

    const again = await browser.navigate(`${cluster.front.urls.issuer}/account`);
    assert.ok(again.kind === 'page');
    const account = await browser.submit(again, CLUSTER_PERSON);
    assert.ok(account.kind === 'page');
    const disconnect = parseForm(account.body.slice(account.body.indexOf(`value="${cluster.clientId}"`) - 400), account.url)!;
    assert.ok(disconnect.action.pathname.endsWith('/revoke'));
    await browser.post(disconnect.action, { csrf: disconnect.csrf, client_id: cluster.clientId });
    const results = await Promise.all(
      cluster.replicas.map((replica) => refresh(direct(replica), { client: cluster.client, refreshToken: String(kept.body['refresh_token']) })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      [400, 400, 400],
      'no replica refreshes a disconnected app',
    );
  });

  it('an access token revoked on one replica is refused by every replica at once, though each had verified it', async () => {
    const tokens = await obtainTokens(cluster.signIn());
    for (const replica of cluster.replicas)
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 200, `replica ${replica.port} accepts it`);
    const revoked = await revoke(direct(cluster.replicas[1]!), { client: cluster.client, token: tokens.accessToken, tokenTypeHint: 'access_token' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 401, `replica ${replica.port} refuses it`);
    }
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

  it('one hundred concurrent uses of one refresh token across replicas: exactly one succeeds', async () => {
    const tokens = await obtainTokens(cluster.signIn());
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => refresh(direct(cluster.replicas[i % 3]!), { client: cluster.client, refreshToken: tokens.refreshToken })),
    );
    const winners = results.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, results.map((r) => r.status).join(','));
    // The replay revoked the grant (RFC 9700 §4.14.2): the winner's new tokens are dead on every replica too.
    const winner = winners[0]!.body;
    for (const replica of cluster.replicas) {
      assert.equal((await callMcp(direct(replica), String(winner['access_token']))).status, 401, `replica ${replica.port} refuses the winner's token`);
    }
    const next = await refresh(direct(cluster.replicas[2]!), { client: cluster.client, refreshToken: String(winner['refresh_token']) });
    assert.equal(next.body['error'], 'invalid_grant', "the winner's refresh token is dead");
  });

  it('two simultaneous uses of one refresh token on two replicas: one wins, and its tokens die with the grant', async () => {
    for (let round = 0; round < 3; round++) {
      const tokens = await obtainTokens(cluster.signIn());
      const results = await Promise.all(
        [0, 1].map((i) => refresh(direct(cluster.replicas[i]!), { client: cluster.client, refreshToken: tokens.refreshToken })),
      );
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, results.map((r) => r.status).join(','));
      for (const replica of cluster.replicas) {
        assert.equal((await callMcp(direct(replica), String(winners[0]!.body['access_token']))).status, 401, `round ${round}: replica ${replica.port}`);
      }
    }
  });

  it('shares keys: a rotation made from any replica is picked up by all of them without a restart', async () => {
    const jwksOf = async (replica: GatehouseProcess) =>
      ((await (await fetch(`http://localhost:${replica.port}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const before = await jwksOf(cluster.replicas[0]!);
    for (const replica of cluster.replicas) assert.deepEqual(await jwksOf(replica), before, 'one key set for all replicas');
    const output = await gatehouseCommand(['keys', 'rotate', '--store', REDIS, '--store-prefix', prefix], { env: ENV });
    const newKid = /Published new signing keys: (\S+) \(ES256\)/.exec(output)![1]!;
    for (const replica of cluster.replicas) {
      let kids: string[] = [];
      for (let attempt = 0; attempt < 40 && !kids.includes(newKid); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        kids = await jwksOf(replica);
      }
      assert.ok(kids.includes(newKid), `replica ${replica.port} serves the new key`);
      assert.ok(
        before.every((kid) => kids.includes(kid)),
        'and still the previous ones',
      );
    }
    const tokens = await obtainTokens(cluster.signIn());
    for (const replica of cluster.replicas) assert.equal((await callMcp(direct(replica), tokens.accessToken)).status, 200);
  });

  it('shares one registration limit across replicas', async () => {
    // 20 per address per hour in all, whichever replica answers: one registration was made in before().
    const statuses = [];
    for (let i = 0; i < 21; i++) statuses.push((await registerClient(direct(cluster.replicas[i % 3]!), nativeClientMetadata(cluster.callback.url))).status);
    assert.deepEqual(statuses.slice(0, 19), Array(19).fill(201));
    assert.deepEqual(statuses.slice(19), [429, 429]);
  });
});
