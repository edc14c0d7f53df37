import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import { callMcp, nativeClientMetadata, obtainTokens, refresh, registerClient } from '../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * PostgreSQL going away and coming back: 503s with Retry-After meanwhile, never a 500 or a crash, and nothing lost.
 * The server is shared, so the outage is staged by cutting a relay in front of it (and by ending the store's
 * connections from the server's side, as a restart or failover does).
 */
describe('when PostgreSQL becomes unreachable and comes back', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: EmbeddedTestServer;
  let callback: CallbackServer;

  before(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await TcpProxy.start(Number(target.port || 5432), target.hostname);
    server = await startEmbedded({ store: await openStore(db.urlVia(proxy.port), { prefix: 'faults' }) });
    await server.accounts.create('ada@example.com', PASSWORD);
    callback = await CallbackServer.start();
  });
  after(async () => {
    await server?.close().catch(() => undefined);
    await callback?.close();
    await proxy?.close();
    await db?.drop();
  });

  const waitForMcp = async (accessToken: string) => {
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await callMcp(server, accessToken)).status;
    }
    return status;
  };

  it('answers 503 with Retry-After while the database is unreachable, recovers by itself, and loses no grant', async () => {
    const registered = await registerClient(server, nativeClientMetadata(callback.url));
    const clientId = String(registered.body['client_id']);
    const tokens = await obtainTokens({ server, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200);

    await proxy.cut();
    const mcp = await callMcp(server, tokens.accessToken);
    assert.equal(mcp.status, 503, 'the MCP endpoint cannot judge the token: 503, not acceptance');
    assert.ok(Number(mcp.headers.get('retry-after')) > 0);
    const token = await refresh(server, { client: { clientId }, refreshToken: tokens.refreshToken });
    assert.equal(token.status, 503);
    assert.ok(Number(token.headers.get('retry-after')) > 0);
    assert.equal(token.body['error'], 'temporarily_unavailable');
    const page = await fetch(`${server.urls.issuer}/account`);
    assert.equal(page.status, 503);
    const ready = await fetch(`${server.urls.issuer}/readyz`);
    assert.equal(ready.status, 503);
    assert.doesNotMatch(await ready.text(), /postgres|ECONN|Error|at /i, 'no error message, address or stack');

    await proxy.restore();
    assert.equal(await waitForMcp(tokens.accessToken), 200, 'service resumed without a restart');
    const refreshed = await refresh(server, { client: { clientId }, refreshToken: tokens.refreshToken });
    assert.equal(refreshed.status, 200, 'the grant survived the outage');
  });

  it('never answers 500 when the server ends the store’s connections, and serves again at once', async () => {
    const registered = await registerClient(server, nativeClientMetadata(callback.url));
    const clientId = String(registered.body['client_id']);
    const tokens = await obtainTokens({ server, clientId, redirectUri: callback.url, email: 'ada@example.com', password: PASSWORD });
    assert.ok((await db.terminateConnections()) > 0);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await callMcp(server, tokens.accessToken)).status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 503),
      statuses.join(','),
    );
    assert.equal(statuses.at(-1), 200, `serves again on fresh connections: ${statuses}`);
  });
});
