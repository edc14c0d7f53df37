import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { authorizationUrl, Browser, registerClient, type Step } from '../../helpers/authorize.js';
import { HostileHost } from '../../helpers/hostile-host.js';
import { OUTBOUND_FETCH_LIMITS } from '../../../src/util/guarded-fetch.js';
import { APP_REDIRECT, startAttackServer, type AttackServer } from './fixture.js';

/**
 * Item 8: no outbound fetch is an amplifier. An unauthenticated outsider names URLs the authorization server
 * fetches: a Client ID Metadata Document (the `client_id` itself), the `jwks_uri` in it or in a registration
 * (fetched when the client authenticates with `private_key_jwt`), a `sector_identifier_uri` (fetched at
 * registration). The hostile host at the other end is a real HTTPS server on loopback whose certificate this
 * process trusts, so only the server's fetcher stands between them; it records every connection and how each
 * answer ended. `guarded` runs with the defaults; `dev` runs with `dangerouslyAllowLoopbackClientMetadata` so that
 * the loopback host is reachable at all, and every cap other than the address check must still hold there.
 */
describe('attack: outbound fetches the server makes for outsiders', () => {
  let hostile: HostileHost;
  let guarded: AttackServer;
  let dev: AttackServer;

  before(async () => {
    hostile = await HostileHost.start();
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), hostile.certificate]);
    [guarded, dev] = await Promise.all([startAttackServer(), startAttackServer({ dangerouslyAllowLoopbackClientMetadata: true })]);
  });
  after(async () => {
    await Promise.all([guarded?.close(), dev?.close()]);
    await hostile?.close();
  });

  /** A metadata document served at `path` on the hostile host under `hostname`, naming its own URL. */
  const documentAt = (path: string, extra: Record<string, unknown> = {}, hostname?: string) => {
    const id = hostile.url(path, hostname);
    hostile.on(path, {
      kind: 'json',
      body: { client_id: id, client_name: 'Hostile', redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'none', ...extra },
      headers: { 'cache-control': 'no-store' },
    });
    return id;
  };
  /** A `private_key_jwt` client's document whose keys are at `jwksUri`. */
  const keyClientAt = (path: string, jwksUri: string) =>
    documentAt(path, { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri, grant_types: ['authorization_code'] });

  /** Open the authorization endpoint with this client_id in a fresh browser. */
  const authorize = (server: AttackServer, clientId: string): Promise<Step> =>
    new Browser(server).navigate(authorizationUrl({ server, clientId, redirectUri: APP_REDIRECT }).url);

  const assertRefusedPage = (step: Step, error: RegExp, label: string) => {
    assert.equal(step.kind, 'page', `${label}: an error page, not a redirect`);
    assert.equal(step.status, 400, `${label}: status`);
    assert.match(step.kind === 'page' ? step.body : '', error, `${label}: the OAuth error`);
  };

  /**
   * POST /token authenticating with `private_key_jwt`: the assertion is well formed but signed by no key the
   * client publishes, so the server must fetch the client's `jwks_uri` to look for one.
   */
  const tokenRequestAs = async (server: AttackServer, clientId: string) => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const assertion = [
      encode({ alg: 'ES256', kid: 'unknown' }),
      encode({ iss: clientId, sub: clientId, aud: server.urls.issuer, jti: randomUUID(), iat: now, exp: now + 60 }),
      Buffer.alloc(64).toString('base64url'),
    ].join('.');
    const response = await fetch(`${server.urls.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: 'not-a-code',
        redirect_uri: APP_REDIRECT,
        code_verifier: 'x'.repeat(43),
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('a document or jwks_uri on a loopback address, by literal or by a name resolving there, is refused without any TCP connection', async () => {
    const before = hostile.connections;
    const targets = {
      'https://127.0.0.1': documentAt('/literal.json'),
      'https://localhost (resolves to loopback)': documentAt('/named.json', {}, 'localhost'),
      'https://[::ffff:127.0.0.1] (IPv4-mapped IPv6)': `https://[::ffff:127.0.0.1]:${hostile.port}/mapped.json`,
    };
    for (const [label, clientId] of Object.entries(targets)) assertRefusedPage(await authorize(guarded, clientId), /invalid_client/, label);

    // A registered private_key_jwt client whose keys are on a name that resolves to loopback.
    const registered = await registerClient(guarded, {
      client_name: 'Key client',
      redirect_uris: [APP_REDIRECT],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: hostile.on('/jwks-named', { kind: 'json', body: { keys: [] } }).replace('127.0.0.1', 'localhost'),
    });
    assert.equal(registered.status, 201, `an https jwks_uri may be registered: ${JSON.stringify(registered.body)}`);
    const token = await tokenRequestAs(guarded, registered.body['client_id'] as string);
    assert.equal(token.status, 401);
    assert.equal(token.body['error'], 'invalid_client');

    // `localhost` is on no list: only the address it resolves to is. The check runs on the resolved addresses
    // before a socket opens, and the socket is then opened to that checked address, so not even a TCP handshake
    // reaches the host (a guard that looks only after connecting has already touched the internal service).
    assert.equal(hostile.connections, before, 'no TCP connection reached the loopback host');
  });

  it('a redirect is not followed, for the document and for jwks_uri', async () => {
    const realDocument = documentAt('/redirect-target.json');
    const redirecting = hostile.on('/redirect.json', { kind: 'redirect', to: realDocument });
    assertRefusedPage(await authorize(dev, redirecting), /invalid_client/, 'redirecting document');
    assert.equal(hostile.hitsOf('/redirect.json'), 1, 'the document URL was fetched, once');
    assert.equal(hostile.hitsOf('/redirect-target.json'), 0, 'its redirect was not followed');

    const keysTarget = hostile.on('/jwks-target', { kind: 'json', body: { keys: [] } });
    const client = keyClientAt('/key-client-redirect.json', hostile.on('/jwks-redirect', { kind: 'redirect', to: keysTarget }));
    const token = await tokenRequestAs(dev, client);
    assert.equal(token.status, 401);
    assert.equal(token.body['error'], 'invalid_client');
    assert.equal(hostile.hitsOf('/jwks-redirect'), 1, 'the jwks_uri was fetched');
    assert.equal(hostile.hitsOf('/jwks-target'), 0, 'its redirect was not followed');
  });

  it('an endless document and an endless jwks_uri are cut at the size cap while streaming: the host sees the connection closed', async (t) => {
    const total = 64 * 1024 * 1024;
    hostile.on('/endless.json', { kind: 'huge', totalBytes: total });
    const documentEnded = hostile.ended('/endless.json');
    assertRefusedPage(await authorize(dev, hostile.url('/endless.json')), /invalid_client/, 'endless document');
    const document = await documentEnded;

    const jwksEnded = hostile.ended('/jwks-endless');
    const client = keyClientAt('/key-client-endless.json', hostile.on('/jwks-endless', { kind: 'huge', totalBytes: total }));
    const token = await tokenRequestAs(dev, client);
    assert.equal(token.status, 401);
    assert.equal(token.body['error'], 'invalid_client');
    const jwks = await jwksEnded;

    for (const exchange of [document, jwks]) {
      assert.ok(exchange.closedByPeer, `${exchange.path}: the server closed the connection before the body ended`);
      // What left the host is the cap plus what socket buffers on loopback hold, far from the whole body.
      assert.ok(exchange.bytesSent < total / 4, `${exchange.path}: ${exchange.bytesSent} of ${total} bytes were written before the cut`);
      t.diagnostic(`${exchange.path}: ${exchange.bytesSent} of ${total} bytes written before the cut`);
    }
  });

  it('a slow document and a slow jwks_uri hit the time cap: the host sees the connection closed mid-body', async () => {
    hostile.on('/slow.json', { kind: 'slow' });
    const documentEnded = hostile.ended('/slow.json');
    assertRefusedPage(await authorize(dev, hostile.url('/slow.json')), /invalid_client/, 'slow document');

    const jwksEnded = hostile.ended('/jwks-slow');
    const client = keyClientAt('/key-client-slow.json', hostile.on('/jwks-slow', { kind: 'slow' }));
    const token = await tokenRequestAs(dev, client);
    assert.equal(token.status, 401);
    assert.equal(token.body['error'], 'invalid_client');

    for (const exchange of [await documentEnded, await jwksEnded]) {
      assert.ok(exchange.closedByPeer, `${exchange.path}: closed by the server, not finished by the host`);
      assert.ok(exchange.bytesSent < 600, `${exchange.path}: ${exchange.bytesSent} of 600 bytes were sent`);
    }
    // One request holds the server for one time cap: the slow document is not fetched again after it failed.
    assert.equal(hostile.hitsOf('/slow.json'), 1, 'the slow document was fetched once');
  });

  it('a flood of documents that never answer holds at most the in-flight cap of connections, and fetching works again after', async () => {
    await hostile.drained();
    hostile.maxOpen = 0;
    const flood = OUTBOUND_FETCH_LIMITS.maxInFlight + 16;
    const ids = Array.from({ length: flood }, (_, i) => hostile.on(`/hold-${i}.json`, { kind: 'hold' }));
    const steps = await Promise.all(ids.map((id) => authorize(dev, id)));
    steps.forEach((step, i) => {
      assertRefusedPage(step, /invalid_client/, `held document ${i}`);
    });
    const fetched = ids.reduce((sum, _, i) => sum + hostile.hitsOf(`/hold-${i}.json`), 0);
    assert.ok(
      hostile.maxOpen <= OUTBOUND_FETCH_LIMITS.maxInFlight,
      `${hostile.maxOpen} connections were open at once (cap ${OUTBOUND_FETCH_LIMITS.maxInFlight})`,
    );
    // Past the cap a request is refused at once, and no request fetches its document twice.
    assert.ok(fetched <= OUTBOUND_FETCH_LIMITS.maxInFlight, `${fetched} fetches for ${flood} requests`);

    // The held fetches end at the time cap and give their places back.
    await hostile.drained();
    const step = await authorize(dev, documentAt('/after-flood.json'));
    assert.equal(step.status, 200, 'a sound document is accepted again: the sign-in page follows');
  });

  it('metadata that makes the server fetch more than the document is refused, at registration and in documents', async () => {
    const sector = hostile.on('/sector', { kind: 'json', body: [APP_REDIRECT] });
    const base = { client_name: 'Fetching client', redirect_uris: [APP_REDIRECT], token_endpoint_auth_method: 'none' };
    for (const [field, value] of [
      ['sector_identifier_uri', sector],
      ['request_uris', [hostile.url('/request-object')]],
    ] as const) {
      const registered = await registerClient(dev, { ...base, [field]: value });
      assert.equal(registered.status, 400, `${field}: ${JSON.stringify(registered.body)}`);
      assert.equal(registered.body['error'], 'invalid_client_metadata');
      assert.match(String(registered.body['error_description']), new RegExp(field));
    }
    const plainHttpKeys = await registerClient(guarded, { ...base, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://keys.example/jwks' });
    assert.equal(plainHttpKeys.status, 400, `http jwks_uri: ${JSON.stringify(plainHttpKeys.body)}`);
    assert.equal(plainHttpKeys.body['error'], 'invalid_client_metadata');

    assertRefusedPage(
      await authorize(dev, documentAt('/sector-document.json', { sector_identifier_uri: sector })),
      /invalid_client_metadata/,
      'document with sector_identifier_uri',
    );
    assert.equal(hostile.hitsOf('/sector'), 0, 'the sector_identifier_uri was never fetched');
    assert.equal(hostile.hitsOf('/request-object'), 0);
  });
});
