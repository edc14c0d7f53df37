import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { callMcp, nativeClientMetadata, obtainTokens, refresh, registerClient } from '../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { PrivateRedis } from '../helpers/redis-server.js';

/** Redis going away and coming back: 503s with Retry-After meanwhile, never a crash, and nothing lost. */
describe('when Redis stops and restarts', () => {
  let redis: PrivateRedis;
  let server: EmbeddedTestServer;
  let callback: CallbackServer;

  before(async () => {
    redis = await PrivateRedis.start();
    server = await startEmbedded({ store: await openStore(redis.url, { prefix: 'faults' }) });
    await server.accounts.create('ada@example.com', PASSWORD);
    callback = await CallbackServer.start();
  });
  after(async () => {
    await server?.close().catch(() => undefined);
    await callback?.close();
    await redis?.stop();
  });

  it('answers 503 while Redis is down, recovers by itself, and loses no grant', async () => {
    const registered = await registerClient(server, nativeClientMetadata(callback.url));
    const clientId = String(registered.body['client_id']);
    const tokens = await obtainTokens({ server, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200);

    await redis.stop();
    const mcp = await callMcp(server, tokens.accessToken);
    assert.equal(mcp.status, 503, 'the MCP endpoint cannot judge the token: 503, not acceptance');
    assert.ok(mcp.headers.get('retry-after'));
    const token = await refresh(server, { client: { clientId }, refreshToken: tokens.refreshToken });
    assert.equal(token.status, 503);
    assert.ok(token.headers.get('retry-after'));
    assert.equal(token.body['error'], 'temporarily_unavailable');
    const page = await fetch(`${server.urls.issuer}/account`);
    assert.equal(page.status, 503);

    await redis.resume();
    let recovered = 0;
    for (let attempt = 0; attempt < 50 && recovered !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      recovered = (await callMcp(server, tokens.accessToken)).status;
    }
    assert.equal(recovered, 200, 'service resumed without a restart');
    const refreshed = await refresh(server, { client: { clientId }, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, 'the grant survived the Redis restart (append-only file)');
  });
});
