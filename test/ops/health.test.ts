import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jwt } from '../../src/index.js';
import { openStore } from '../../src/store/index.js';
import { startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { PrivateRedis } from '../helpers/redis-server.js';
import { MCP_HEADERS, initializeBody, rawRequest, startServer, type TestServer } from '../helpers/server.js';

const local = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

describe('health and readiness in resource mode', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let prefixed: TestServer;

  before(async () => {
    issuer = await TestIssuer.start();
    const verifier = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });
    server = await startServer(verifier, { issuer: issuer.url });
    prefixed = await startServer(verifier, { issuer: issuer.url, publicUrl: 'https://mcp.example.com/team' });
  });
  after(async () => {
    await server.close();
    await prefixed.close();
    await issuer.close();
  });

  it('answers /healthz and /readyz without a token, uncached', async () => {
    const health = await fetch(local(server.port, '/healthz'));
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal(health.headers.get('cache-control'), 'no-store');

    const ready = await fetch(local(server.port, '/readyz'));
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: {} });
    assert.equal(ready.headers.get('cache-control'), 'no-store');
    assert.equal(ready.headers.get('www-authenticate'), null);
  });

  it('answers probes that name the replica by address (the Host check would refuse them elsewhere)', async () => {
    const probe = await rawRequest(local(server.port, '/readyz'), { headers: { host: '10.1.2.3:8000' } });
    assert.equal(probe.status, 200);
    const mcp = await rawRequest(local(server.port, '/mcp'), { method: 'POST', headers: { ...MCP_HEADERS, host: '10.1.2.3:8000' }, body: initializeBody() });
    assert.equal(mcp.status, 403, 'the MCP endpoint still checks Host');
  });

  it('are not MCP routes: other methods and MCP requests get 404', async () => {
    const post = await fetch(local(server.port, '/healthz'), { method: 'POST', headers: MCP_HEADERS, body: initializeBody() });
    assert.equal(post.status, 404);
    const prm = (await (await fetch(local(server.port, '/.well-known/oauth-protected-resource/mcp'))).json()) as Record<string, unknown>;
    assert.ok(!JSON.stringify(prm).includes('healthz'));
  });

  it('live under the public URL base path', async () => {
    const inside = await rawRequest(local(prefixed.port, '/team/healthz'), { headers: { host: 'mcp.example.com' } });
    assert.equal(inside.status, 200);
    assert.equal((await rawRequest(local(prefixed.port, '/team/readyz'), { headers: { host: 'mcp.example.com' } })).status, 200);
    const outside = await rawRequest(local(prefixed.port, '/healthz'), { headers: { host: 'mcp.example.com' } });
    assert.equal(outside.status, 404);
  });
});

describe('readiness of the embedded authorization server', () => {
  it('is ready once its store answers and its keys are loaded', async () => {
    const server = await startEmbedded();
    try {
      const ready = await fetch(`${server.urls.issuer}/readyz`);
      assert.equal(ready.status, 200);
      assert.deepEqual(await ready.json(), { status: 'ready', checks: { store: true, keys: true } });
    } finally {
      await server.close();
    }
  });

  describe('on Redis', () => {
    let redis: PrivateRedis;
    let server: EmbeddedTestServer;
    before(async () => {
      redis = await PrivateRedis.start();
      server = await startEmbedded({ store: await openStore(redis.url, { prefix: 'readyz' }) });
    });
    after(async () => {
      await server?.close().catch(() => undefined);
      await redis?.stop();
    });

    it('answers 503 with Retry-After naming the store while Redis is down, stays live, and recovers', async () => {
      assert.equal((await fetch(`${server.urls.issuer}/readyz`)).status, 200);
      await redis.stop();

      const down = await fetch(`${server.urls.issuer}/readyz`);
      assert.equal(down.status, 503);
      assert.ok(Number(down.headers.get('retry-after')) > 0);
      assert.equal(down.headers.get('cache-control'), 'no-store');
      const text = await down.text();
      assert.deepEqual(JSON.parse(text), { status: 'unavailable', checks: { store: false, keys: true }, failing: ['store'] });
      assert.doesNotMatch(text, /redis|ECONN|Error|at /i, 'no error message, address or stack');
      assert.equal((await fetch(`${server.urls.issuer}/healthz`)).status, 200, 'the process is still up');

      await redis.resume();
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        status = (await fetch(`${server.urls.issuer}/readyz`)).status;
      }
      assert.equal(status, 200, 'ready again without a restart');
    });
  });
});
