import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, nativeClientMetadata, redeemCode, registerClient } from '../helpers/authorize.js';
import { freePort } from '../helpers/cli.js';
import { callTool, federatedAuthorize, federatedBrowser } from '../helpers/federated.js';
import { startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { startOidcUpstream, UPSTREAM_EMAIL, UPSTREAM_PASSWORD, type OidcUpstream } from '../helpers/oidc-upstream.js';

const REDIRECT = 'http://127.0.0.1:43112/callback';

describe('gatehouse serve --mode federated --upstream oidc, against a real OpenID provider', () => {
  let upstream: OidcUpstream;
  let server: GatehouseProcess;
  let clientId: string;

  before(async () => {
    const port = await freePort();
    upstream = await startOidcUpstream(`http://localhost:${port}/oauth/callback/oidc`);
    server = await startGatehouse({
      port,
      args: ['--mode', 'federated', '--upstream', 'oidc', '--upstream-issuer', upstream.issuer, '--dangerously-allow-any-upstream-account'],
      env: { GATEHOUSE_UPSTREAM_CLIENT_ID: upstream.clientId, GATEHOUSE_UPSTREAM_CLIENT_SECRET: upstream.clientSecret },
    });
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'OIDC flow test' }));
    assert.equal(registered.status, 201);
    clientId = String(registered.body['client_id']);
  });
  after(async () => {
    await server?.stop();
    await upstream?.stop();
  });

  it('prints the callback URL to register at the provider, and finds nothing wrong with it', () => {
    const banner = server.process.stderr();
    assert.match(banner, /running in federated mode/);
    assert.match(banner, new RegExp(`callback: +http://localhost:${server.port}/oauth/callback/oidc`));
    assert.doesNotMatch(server.process.stdout() + server.process.stderr(), /check found problems|refused|answered 4/);
  });

  it('signs in at the provider (ID token verified) and answers whoami with the upstream identity', async () => {
    const browser = federatedBrowser(server, upstream.issuer);
    const flow = await federatedAuthorize({
      server,
      browser,
      clientId,
      redirectUri: REDIRECT,
      source: 'oidc',
      email: UPSTREAM_EMAIL,
      password: UPSTREAM_PASSWORD,
    });
    const code = flow.params.get('code');
    assert.ok(code, flow.location.href);
    const tokens = await redeemCode(server, { client: { clientId }, code, redirectUri: REDIRECT, codeVerifier: flow.codeVerifier });
    assert.equal(tokens.status, 200);
    const accessToken = String(tokens.body['access_token']);
    assert.equal(decodeJwt(accessToken)['iss'], server.urls.issuer);
    const who = await callTool(server, accessToken, 'whoami');
    const identity = who['upstream'] as Record<string, unknown>;
    assert.equal(identity['source'], 'oidc');
    assert.equal(identity['email'], UPSTREAM_EMAIL);
    // The upstream is a Gatehouse, whose local accounts' emails nothing has verified: it says so, and that is kept.
    assert.equal(identity['emailVerified'], false);
    assert.equal(typeof identity['subject'], 'string');
  });
});
