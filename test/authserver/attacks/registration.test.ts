import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, nativeClientMetadata, openConsent, registerClient } from '../../helpers/authorize.js';
import { assertErrorPage, assertNoSecretsLogged, EMAIL, openAuthorization, PASSWORD, startAttackServer, type AttackServer } from './fixture.js';

/** A3 (dynamic registration metadata abuse, RFC 7591 §2) and A16 (a client cannot choose who it is). */
describe('attacks: dynamic client registration (A3, A16)', () => {
  let server: AttackServer;

  before(async () => {
    // Plenty of registrations for these tests; the rate limit has its own server below.
    server = await startAttackServer({ registrationsPerHour: 1000 });
  });
  after(async () => {
    await server?.close();
  });

  it('A3 dangerous or malformed redirect_uris are refused with 400 invalid_redirect_uri', async () => {
    const refused = [
      'javascript:alert(1)',
      'JavaScript://app.test/%0aalert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      'vbscript:msgbox(1)',
      'http://evil.example/cb',
      'http://192.168.1.10/cb',
      'https://app.test/cb#fragment',
      'https://app.test/cb#',
      'http://127.0.0.1:8080/cb#x',
      'https://user:pass@app.test/cb',
    ];
    for (const uri of refused) {
      for (const metadata of [nativeClientMetadata(uri), { redirect_uris: [uri] }]) {
        const response = await registerClient(server, metadata);
        assert.equal(response.status, 400, `${uri} (${metadata['application_type'] ?? 'no application_type'}): status`);
        assert.equal(response.body['error'], 'invalid_redirect_uri', `${uri}: error`);
        assert.equal(response.body['client_id'], undefined);
      }
    }
    // One bad URI among good ones spoils the registration.
    const mixed = await registerClient(server, { redirect_uris: ['http://127.0.0.1/cb', 'javascript:alert(1)'] });
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body['error'], 'invalid_redirect_uri');
  });

  it('A3 a client_name with markup is shown escaped on the login and consent pages', async () => {
    const name = '<script>alert(1)</script><img src=x onerror=alert(2)>';
    const registered = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { client_name: name }));
    assert.equal(registered.status, 201);
    const clientId = String(registered.body['client_id']);

    const { step: login } = await openAuthorization({ server, clientId, redirectUri: 'http://127.0.0.1:40001/cb' });
    assert.equal(login.kind, 'page');
    const { page: consent } = await openConsent({ server, clientId, redirectUri: 'http://127.0.0.1:40001/cb', email: EMAIL, password: PASSWORD });
    for (const [label, body] of [
      ['login', login.kind === 'page' ? login.body : ''],
      ['consent', consent.body],
    ] as const) {
      assert.ok(body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${label}: the name is shown, escaped`);
      assert.ok(!/<script/i.test(body), `${label}: no raw <script>`);
      assert.ok(!/<img/i.test(body), `${label}: no raw <img>`);
    }
    assert.match(consent.headers.get('content-security-policy') ?? '', /default-src 'none'/, 'and scripts could not run anyway');
  });

  it('A3 javascript: in logo_uri, client_uri or policy_uri is refused', async () => {
    for (const field of ['logo_uri', 'client_uri', 'policy_uri', 'tos_uri']) {
      const response = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { [field]: 'javascript:alert(1)' }));
      assert.equal(response.status, 400, field);
      assert.equal(response.body['error'], 'invalid_client_metadata', field);
    }
  });

  it('A3 markup inside logo_uri and client_uri does not reach the consent page raw', async () => {
    const registered = await registerClient(
      server,
      nativeClientMetadata('http://127.0.0.1/cb', {
        client_name: 'Plain name',
        logo_uri: 'https://app.test/logo.png?"><script>alert(1)</script>',
        client_uri: 'https://app.test/"><script>alert(2)</script>',
      }),
    );
    assert.equal(registered.status, 201);
    const { page } = await openConsent({
      server,
      clientId: String(registered.body['client_id']),
      redirectUri: 'http://127.0.0.1:40002/cb',
      email: EMAIL,
      password: PASSWORD,
    });
    assert.ok(page.body.includes('Plain name'));
    assert.ok(!/<script/i.test(page.body), 'no raw <script>');
  });

  it('A16 a registration cannot choose its client_id, nor take over an existing one', async () => {
    const chosen = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { client_id: 'chosen-by-attacker' }));
    if (chosen.status === 201) assert.notEqual(chosen.body['client_id'], 'chosen-by-attacker');
    else assert.equal(chosen.status, 400);

    const hijack = await registerClient(server, nativeClientMetadata('http://127.0.0.1/evil', { client_id: server.app.clientId }));
    if (hijack.status === 201) assert.notEqual(hijack.body['client_id'], server.app.clientId);
    else assert.equal(hijack.status, 400);
    // The pre-registered app still has only its own redirect URI, and still works.
    assertErrorPage(await openAuthorization({ ...server.flow, redirectUri: 'http://127.0.0.1:40003/evil' }), 'the hijacker redirect');
    assert.ok((await authorize(server.flow)).params.get('code'));
  });

  it('A16 a registration cannot choose its client_secret', async () => {
    const response = await registerClient(server, {
      ...nativeClientMetadata('http://127.0.0.1/cb'),
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: 'attacker-chosen-secret',
    });
    if (response.status === 201) assert.notEqual(response.body['client_secret'], 'attacker-chosen-secret');
    else assert.equal(response.status, 400);
  });

  it("A16 a registration cannot get the client_credentials grant, nor call itself a machine client (those are the operator's)", async () => {
    for (const extra of [
      { grant_types: ['client_credentials'], response_types: [] },
      { grant_types: ['authorization_code', 'refresh_token', 'client_credentials'] },
      { grant_types: ['client_credentials'], response_types: [], gatehouse_kind: 'machine' },
    ]) {
      const response = await registerClient(server, {
        ...nativeClientMetadata('http://127.0.0.1/cb'),
        token_endpoint_auth_method: 'client_secret_basic',
        ...extra,
      });
      assert.equal(response.status, 400, JSON.stringify(extra));
      assert.equal(response.body['error'], 'invalid_client_metadata');
    }
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});

describe('attacks: registration flooding (A3)', () => {
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer(); // the default limit: 20 registrations per hour per address
  });
  after(async () => {
    await server?.close();
  });

  // 25 × 201 here means the per-address limiter never ran before oidc-provider answered POST /reg.
  it('A3 hammering /reg is cut off with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof registerClient>> | undefined;
    for (let i = 0; i < 25; i++) {
      const response = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { client_name: `flood ${i}` }));
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
    }
    assert.deepEqual(statuses.slice(0, 20), Array(20).fill(201), 'the first 20 registrations succeed');
    assert.deepEqual(statuses.slice(20), Array(5).fill(429), 'then every one is refused');
    const retryAfter = Number(limited!.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 3600, `Retry-After: ${limited!.headers.get('retry-after')}`);
    assert.equal(limited!.headers.get('cache-control'), 'no-store');
  });

  it('A3 the limit also counts refused registrations, so bad requests cannot probe for free', async () => {
    const response = await registerClient(server, nativeClientMetadata('javascript:alert(1)'));
    assert.equal(response.status, 429);
  });
});
