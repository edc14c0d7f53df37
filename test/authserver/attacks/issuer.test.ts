import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authorize, Browser, decodeJwt, redeemCode } from '../../helpers/authorize.js';
import { rawRequest } from '../../helpers/server.js';
import { assertErrorRedirect, assertNoSecretsLogged, newApp, openAuthorization, startAttackServer, type AttackServer } from './fixture.js';

const SPOOFED = {
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '8443',
  'x-forwarded-prefix': '/evil',
  forwarded: 'host=evil.example;proto=https',
};

/** Every URL-valued member of a metadata document, flattened. */
function urlsIn(document: Record<string, unknown>): string[] {
  return Object.values(document)
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter((v): v is string => typeof v === 'string' && /^[a-z]+:\/\//i.test(v));
}

/** A9 (mix-up: RFC 9207 `iss`, RFC 8414 §3.3 issuer identity) and A18 (spoofed forwarding headers). */
describe('attacks: issuer identity (A9, A18)', () => {
  let server: AttackServer;
  let metadata: Record<string, unknown>;

  before(async () => {
    server = await startAttackServer();
    metadata = (await (await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
  });
  after(async () => {
    await server?.close();
  });

  it('A9 the issuer equals the URL base the metadata was fetched from', async () => {
    assert.equal(metadata['issuer'], server.urls.issuer);
    const oidc = (await (await fetch(`${server.urls.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(oidc['issuer'], server.urls.issuer);
    const prm = (await (await fetch(server.urls.resourceMetadata)).json()) as Record<string, unknown>;
    assert.deepEqual(prm['authorization_servers'], [server.urls.issuer], 'the resource names the same issuer');
    for (const url of urlsIn(metadata)) assert.ok(url === server.urls.issuer || url.startsWith(`${server.urls.issuer}/`), `${url} is under the issuer`);
  });

  it('A9 metadata declares authorization_response_iss_parameter_supported', () => {
    assert.equal(metadata['authorization_response_iss_parameter_supported'], true);
  });

  it('A9 a successful authorization response carries iss equal to the metadata issuer', async () => {
    const flow = await authorize(server.flow);
    assert.ok(flow.params.get('code'));
    assert.equal(flow.params.get('iss'), metadata['issuer']);
    assert.equal(flow.params.get('state'), flow.state, 'and the state comes back unchanged');
  });

  it('A9 error authorization responses carry iss too (deny, login_required, invalid_request)', async () => {
    const denied = await authorize({ ...(await newApp(server)), decision: 'deny' });
    assert.equal(denied.params.get('error'), 'access_denied');
    assert.equal(denied.params.get('iss'), metadata['issuer']);
    assertErrorRedirect((await openAuthorization({ ...server.flow, extraParams: { prompt: 'none' } })).step, 'login_required', String(metadata['issuer']));
    assertErrorRedirect((await openAuthorization({ ...server.flow, codeChallenge: null })).step, 'invalid_request', String(metadata['issuer']));
  });

  it('A18 spoofed X-Forwarded-* and Forwarded headers change nothing in the metadata', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const plain = (await (await fetch(`${server.urls.issuer}${path}`)).json()) as Record<string, unknown>;
      const spoofed = (await (await fetch(`${server.urls.issuer}${path}`, { headers: SPOOFED })).json()) as Record<string, unknown>;
      assert.deepEqual(spoofed, plain, path);
      assert.equal(spoofed['issuer'], server.urls.issuer, path);
      for (const url of urlsIn(spoofed)) assert.ok(url === server.urls.issuer || url.startsWith(`${server.urls.issuer}/`), `${path}: ${url}`);
    }
    const prm = (await (await fetch(server.urls.resourceMetadata, { headers: SPOOFED })).json()) as Record<string, unknown>;
    assert.equal(prm['resource'], server.urls.resource);
    assert.deepEqual(prm['authorization_servers'], [server.urls.issuer]);
  });

  it('A18 spoofed forwarding headers on every request of a flow change neither the redirects nor iss nor the token issuer', async () => {
    const browser = new Browser(server, { headers: SPOOFED });
    const flow = await authorize({ ...server.flow, browser });
    for (const hop of browser.hops) {
      const location = hop.headers.get('location');
      if (location) {
        const target = new URL(location, hop.url);
        assert.ok(target.origin === new URL(server.urls.issuer).origin || target.href.startsWith(`${server.flow.redirectUri}?`), `redirect to ${target.href}`);
      }
    }
    assert.equal(flow.params.get('iss'), server.urls.issuer);
    const tokens = await redeemCode(server, {
      client: { clientId: server.app.clientId },
      code: flow.params.get('code')!,
      redirectUri: server.flow.redirectUri,
      codeVerifier: flow.codeVerifier,
      headers: SPOOFED,
    });
    assert.equal(tokens.status, 200);
    assert.equal(decodeJwt(String(tokens.body['access_token']))['iss'], server.urls.issuer);
  });

  it('A18 a foreign Host header is refused, loopback aliases do not change the issuer', async () => {
    const evil = await rawRequest(`${server.urls.issuer}/.well-known/oauth-authorization-server`, { headers: { host: 'evil.example' } });
    assert.equal(evil.status, 403);
    const viaIp = await rawRequest(`http://127.0.0.1:${server.port}/.well-known/oauth-authorization-server`, { headers: { host: `127.0.0.1:${server.port}` } });
    if (viaIp.status === 200) assert.equal((JSON.parse(viaIp.body) as Record<string, unknown>)['issuer'], server.urls.issuer);
    else assert.equal(viaIp.status, 403);
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
