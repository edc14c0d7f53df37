import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DpopKey } from '../helpers/dpop.js';
import { TestIssuer } from '../helpers/issuer.js';
import { MCP_HEADERS } from '../helpers/server.js';
import { freePort } from '../helpers/cli.js';
import { startGatehouse } from '../helpers/gatehouse-process.js';

const WHOAMI = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

/** `gatehouse serve --dpop-required`: a separate process that refuses every bearer token and says so. */
describe('gatehouse serve --dpop-required', () => {
  let issuer: TestIssuer;
  before(async () => {
    issuer = await TestIssuer.start();
  });
  after(async () => {
    await issuer.close();
  });

  it('refuses a genuine bearer token, accepts a bound one with its proof, and advertises the requirement', async () => {
    const port = await freePort();
    const server = await startGatehouse({
      port,
      args: ['--mode', 'resource', '--public-url', `http://localhost:${port}`, '--issuer', issuer.url, '--jwks-uri', issuer.jwksUri, '--dpop-required'],
    });
    const { resource, resourceMetadata } = server.urls;
    try {
      const metadata = (await (await fetch(resourceMetadata)).json()) as Record<string, unknown>;
      assert.equal(metadata['dpop_bound_access_tokens_required'], true);

      const post = (authorization: string, dpop?: string) =>
        fetch(resource, {
          method: 'POST',
          headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2025-11-25', authorization, ...(dpop && { dpop }) },
          body: WHOAMI,
        });
      const bearer = await post(`Bearer ${await issuer.token(resource)}`);
      assert.equal(bearer.status, 401);
      assert.match(bearer.headers.get('www-authenticate') ?? '', /^DPoP error="invalid_token"/);

      const key = await DpopKey.create();
      const token = await issuer.token(resource, { sub: 'bound-user', claims: { cnf: { jkt: key.jkt } } });
      const bound = await post(`DPoP ${token}`, await key.proof({ htu: resource, token }));
      assert.equal(bound.status, 200);
      assert.match(await bound.text(), /bound-user/);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
