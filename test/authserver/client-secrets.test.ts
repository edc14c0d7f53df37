import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientSecretMatches, hashClientSecret } from '../../src/authserver/clients/secrets.js';
import { introspect, registerClient } from '../helpers/authorize.js';
import { startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

describe('client secrets at rest', () => {
  let server: EmbeddedTestServer;
  before(async () => (server = await startEmbedded()));
  after(() => server.close());

  async function storedEverything(): Promise<string> {
    let all = '';
    for await (const entry of server.store.entries()) all += JSON.stringify(entry);
    return all;
  }

  it('keeps only a hash of pre-registered and dynamically registered secrets, which still authenticate', async () => {
    const rs = await server.clients.add({ name: 'Reports API', resourceServer: true });
    const registered = await registerClient(server, {
      client_name: 'Confidential web app',
      redirect_uris: ['https://app.test/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(registered.status, 201);
    const dcrSecret = String(registered.body['client_secret']);
    const stored = await storedEverything();
    assert.ok(stored.includes(rs.client_id) && stored.includes(String(registered.body['client_id'])), 'the clients are stored');
    assert.ok(!stored.includes(rs.client_secret!), 'no plaintext resource-server secret');
    assert.ok(!stored.includes(dcrSecret), 'no plaintext registered secret');
    assert.ok(stored.includes(hashClientSecret(dcrSecret)));

    const asRs = { clientId: rs.client_id, clientSecret: rs.client_secret! };
    assert.equal((await introspect(server, { client: asRs, token: 'anything' })).status, 200, 'the plaintext secret authenticates');
    // Sent by hand: the stored hash is no test secret for the post-suite leak scan (it is meant to be in the store).
    const withHash = await fetch(`${server.urls.issuer}/token/introspection`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${rs.client_id}:${hashClientSecret(rs.client_secret!)}`).toString('base64')}`,
      },
      body: 'token=anything',
    });
    assert.equal(withHash.status, 401, 'the stored hash itself does not');
  });

  it('the introspection endpoint refuses in the OAuth error shape: 400 with Pragma, 401 with a Basic challenge, never cached', async () => {
    const rs = await server.clients.add({ name: 'Errors API', resourceServer: true });
    const send = (body: string, authorization?: string) =>
      fetch(`${server.urls.issuer}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization && { authorization }) },
        body,
      });
    const basic = `Basic ${Buffer.from(`${rs.client_id}:${rs.client_secret!}`).toString('base64')}`;
    const missing = await send('', basic);
    assert.equal(missing.status, 400);
    assert.deepEqual(await missing.json(), { error: 'invalid_request', error_description: 'missing token' });
    assert.equal(missing.headers.get('cache-control'), 'no-store');
    assert.equal(missing.headers.get('pragma'), 'no-cache');
    const twice = await send('token=a&token=b', basic);
    assert.equal(twice.status, 400);
    assert.deepEqual(await twice.json(), {
      error: 'invalid_request',
      error_description: 'send one application/x-www-form-urlencoded body, each parameter once',
    });
    assert.equal(twice.headers.get('pragma'), 'no-cache');
    const unknown = await send('token=anything', `Basic ${Buffer.from('nobody:nothing').toString('base64')}`);
    assert.equal(unknown.status, 401);
    assert.deepEqual(await unknown.json(), { error: 'invalid_client', error_description: 'client authentication failed' });
    assert.equal(unknown.headers.get('www-authenticate'), 'Basic realm="introspection"');
    assert.equal(unknown.headers.get('cache-control'), 'no-store');
    assert.equal(unknown.headers.get('pragma'), null);
  });

  it('compares in constant time and never matches the hash or an empty secret', () => {
    const secret = 'a'.repeat(43);
    assert.equal(clientSecretMatches(hashClientSecret(secret), secret), true);
    assert.equal(clientSecretMatches(secret, secret), true, 'a plaintext record from before hashing still works');
    assert.equal(clientSecretMatches(hashClientSecret(secret), hashClientSecret(secret)), false);
    assert.equal(clientSecretMatches(hashClientSecret(secret), ''), false);
    assert.equal(clientSecretMatches(undefined, secret), false);
  });
});
