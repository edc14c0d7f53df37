import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { nativeClientMetadata, obtainTokens, refresh, registerClient } from '../helpers/authorize.js';
import { addUser, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { runCli } from '../helpers/cli.js';
import { openStore, type Store } from '../../src/store/index.js';
import { refreshTokenTtl } from '../../src/authserver/engine/machine-tokens.js';

const PASSWORD = 'correct horse battery staple';
const IDLE = 600;
const ABSOLUTE = 7200;

describe('token lifetimes are settings', () => {
  let gatehouse: GatehouseProcess;
  let callback: CallbackServer;
  let store: Store;
  let clientId: string;

  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-lifetimes-'));
    await addUser(dataDir, 'ada@example.com', PASSWORD);
    gatehouse = await startGatehouse({
      dataDir,
      // The short spelling of --access-token-ttl-seconds; machine-clients.test.ts uses the long one.
      args: ['--access-token-ttl', '120', '--refresh-token-idle-ttl-seconds', String(IDLE), '--refresh-token-ttl-seconds', String(ABSOLUTE)],
    });
    store = await openStore(`sqlite:${join(dataDir, 'gatehouse.db')}`);
    callback = await CallbackServer.start();
    const registered = await registerClient(gatehouse as never, nativeClientMetadata(callback.url));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    clientId = String(registered.body['client_id']);
  });

  after(async () => {
    await store?.close();
    await gatehouse?.stop();
    await callback?.close();
  });

  /** The latest expiry among stored refresh tokens, in seconds from now. */
  async function refreshTokenExpiresIn(): Promise<number> {
    const expiries = (await store.list('RefreshToken')).filter((r) => r.consumedAt === undefined).map((r) => r.expiresAt ?? Number.POSITIVE_INFINITY);
    return (Math.max(...expiries) - Date.now()) / 1000;
  }

  it('access tokens live --access-token-ttl; refresh tokens the idle lifetime, renewed by each rotation', async () => {
    const tokens = await obtainTokens({ server: gatehouse as never, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });
    assert.equal(tokens.response.body['expires_in'], 120);
    const first = await refreshTokenExpiresIn();
    assert.ok(first > IDLE - 30 && first <= IDLE, `refresh token expires in ${first}s`);
    const refreshed = await refresh(gatehouse as never, { client: { clientId }, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body['expires_in'], 120);
    const second = await refreshTokenExpiresIn();
    assert.ok(second > IDLE - 30 && second <= IDLE, `rotated refresh token expires in ${second}s`);
    // The grant (the sign-in) keeps its absolute end.
    const grants = await store.list('Grant');
    assert.ok(grants.length > 0 && grants.every((g) => (g.expiresAt! - Date.now()) / 1000 <= ABSOLUTE && (g.expiresAt! - Date.now()) / 1000 > ABSOLUTE - 60));
  });
});

describe('a refresh token never outlives the absolute lifetime', () => {
  const ttl = refreshTokenTtl({ accessToken: 600, clientCredentials: 600, refreshToken: 7200, refreshTokenIdle: 600 });
  const now = () => Math.floor(Date.now() / 1000);
  it('is the idle lifetime while the sign-in is young, what is left of the absolute one near its end', () => {
    assert.equal(ttl(undefined, { iiat: now() }), 600);
    assert.equal(ttl(undefined, { iiat: now() - 7000 }), 200);
    assert.equal(ttl(undefined, { iiat: now() - 9000 }), 1);
  });
  it('an idle lifetime longer than the absolute one is cut to it', () => {
    const long = refreshTokenTtl({ accessToken: 600, clientCredentials: 600, refreshToken: 900, refreshTokenIdle: 5000 });
    assert.equal(long(undefined, { iiat: now() }), 900);
  });
});

describe('bad lifetimes are one line naming the flag, exit 2', () => {
  async function refused(args: string[], pattern: RegExp) {
    const run = runCli(args);
    run.child.stdin.end();
    assert.equal(await run.exited, 2, run.stderr());
    assert.match(run.stderr(), pattern);
    assert.equal(run.stderr().split('\n').length, 2, run.stderr());
  }
  it('refuses out-of-range and contradictory values', async () => {
    await refused(
      ['serve', '--access-token-ttl-seconds', '5'],
      /^gatehouse: accessTokenTtlSeconds \(--access-token-ttl-seconds \/ GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS\)/,
    );
    await refused(
      ['serve', '--access-token-ttl', '5'],
      /^gatehouse: accessTokenTtlSeconds \(--access-token-ttl-seconds \/ GATEHOUSE_ACCESS_TOKEN_TTL_SECONDS\)/,
    );
    await refused(
      ['serve', '--client-credentials-token-ttl-seconds', 'soon'],
      /^gatehouse: clientCredentialsTokenTtlSeconds \(--client-credentials-token-ttl-seconds/,
    );
    await refused(['serve', '--refresh-token-idle-ttl-seconds', '10'], /^gatehouse: refreshTokenIdleTtlSeconds \(--refresh-token-idle-ttl-seconds/);
    await refused(
      ['serve', '--refresh-token-idle-ttl-seconds', '7200', '--refresh-token-ttl-seconds', '3600'],
      /^gatehouse: refreshTokenIdleTtlSeconds \(--refresh-token-idle-ttl-seconds \/ GATEHOUSE_REFRESH_TOKEN_IDLE_TTL_SECONDS\): must not exceed --refresh-token-ttl-seconds \(3600\)/,
    );
  });
});
