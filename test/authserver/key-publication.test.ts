import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { callMcp, obtainTokens, refresh } from '../helpers/authorize.js';
import { gatehouseCommand } from '../helpers/gatehouse-process.js';
import { startAttackServer, type AttackServer } from './attacks/fixture.js';

const PUBLICATION_SECONDS = 20;

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

/** A rotated signing key is published before it signs, so verifiers with a cached JWKS know it in time. */
describe('signing keys are published before use', () => {
  let server: AttackServer;

  before(async () => {
    // The test refreshes repeatedly while it waits for the period to end: lift the per-address token limit.
    server = await startAttackServer({ keyReloadSeconds: 1, tokenRequestsPerMinute: 100_000 });
  });
  after(async () => {
    await server?.close();
  });

  const jwksKids = async () => ((await (await fetch(`${server.urls.issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);

  it('after a rotation the JWKS lists the new key while tokens are still signed with the old one; after the period the new key signs and old tokens still verify', async () => {
    const first = await obtainTokens(server.flow);
    const oldKid = kidOf(first.accessToken);

    const output = await gatehouseCommand(['keys', 'rotate', '--data-dir', server.dataDir, '--publish-for', String(PUBLICATION_SECONDS)]);
    const newKids = /Published new signing keys: (\S+) \(ES256\) and (\S+) \(RS256\)/.exec(output)!.slice(1, 3);
    assert.match(output, /They sign from \d{4}-/);

    // The running server notices the rotated key file within its reload interval.
    let published: string[] = [];
    for (let attempt = 0; attempt < 80 && !newKids.every((kid) => published.includes(kid)); attempt++) {
      await sleep(250);
      published = await jwksKids();
    }
    assert.ok(
      newKids.every((kid) => published.includes(kid)),
      'the new keys are published',
    );
    assert.ok(published.includes(oldKid!), 'the old key is still published');

    const during = await obtainTokens({ ...server.flow, scope: 'openid read:whoami' });
    assert.equal(kidOf(during.accessToken), oldKid, 'a token issued during the publication period is signed with the old key');
    assert.ok(!newKids.includes(kidOf(String(during.response.body['id_token']))!), 'so is the ID token');

    // Once the period is over, refreshed tokens are signed with the new key.
    let refreshToken = during.refreshToken;
    let latest = during.accessToken;
    for (let attempt = 0; attempt < 120 && !newKids.includes(kidOf(latest)!); attempt++) {
      await sleep(500);
      const refreshed = await refresh(server, { client: { clientId: server.app.clientId }, refreshToken });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      refreshToken = String(refreshed.body['refresh_token']);
      latest = String(refreshed.body['access_token']);
    }
    assert.ok(newKids.includes(kidOf(latest)!), 'the new key signs after the period');
    assert.ok((await jwksKids()).includes(oldKid!), 'the old key stays published');
    assert.equal((await callMcp(server, first.accessToken)).status, 200, 'a token signed before the rotation still verifies');
    assert.equal((await callMcp(server, latest)).status, 200, 'the new token verifies');
  });
});
