import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { callMcp, decodeJwt, obtainTokens } from '../../helpers/authorize.js';
import { assertNoSecretsLogged, EMAIL, startAttackServer, type AttackServer } from './fixture.js';

/** Calls the whoami tool with this token: the identity the resource server sees. */
async function whoami(server: AttackServer, accessToken: string): Promise<Record<string, unknown>> {
  const response = await fetch(server.urls.resource, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
  });
  assert.equal(response.status, 200);
  const text = await response.text();
  const json = text.startsWith('{')
    ? text
    : text
        .split('\n')
        .find((line) => line.startsWith('data: '))!
        .slice(6);
  const result = (JSON.parse(json) as { result: { structuredContent?: Record<string, unknown>; content: Array<{ text: string }> } }).result;
  return result.structuredContent ?? (JSON.parse(result.content[0]!.text) as Record<string, unknown>);
}

/** How the engine (oidc-provider) is configured: claims as the scopes allow, and no userinfo endpoint that could never answer. */
describe('attacks: the engine is configured on purpose', () => {
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer();
  });
  after(async () => {
    await server?.close();
  });

  it('a client that asks only for a tool scope gets a token without the email or username', async () => {
    const tokens = await obtainTokens({ ...server.flow, scope: 'read:whoami' });
    const claims = decodeJwt(tokens.accessToken);
    for (const name of ['email', 'email_verified', 'preferred_username']) assert.equal(claims[name], undefined, `${name} in the token`);
    const seen = await whoami(server, tokens.accessToken);
    assert.equal(seen['authenticated'], true);
    assert.equal(typeof seen['subject'], 'string');
    assert.equal(seen['email'], undefined, 'whoami tells no email');
    assert.equal(seen['username'], undefined, 'whoami tells no username');
  });

  it('the email scope adds email (unverified for a local account), profile adds the username', async () => {
    const withEmail = decodeJwt((await obtainTokens({ ...server.flow, scope: 'openid email read:whoami' })).accessToken);
    assert.equal(withEmail['email'], EMAIL);
    assert.equal(withEmail['email_verified'], false, 'nothing verified a typed-in email');
    assert.equal(withEmail['preferred_username'], undefined);
    const withProfile = decodeJwt((await obtainTokens({ ...server.flow, scope: 'openid profile read:whoami' })).accessToken);
    assert.equal(withProfile['preferred_username'], EMAIL);
    assert.equal(withProfile['email'], undefined);
  });

  it('the ID token says email_verified false for a local account', async () => {
    const tokens = await obtainTokens({ ...server.flow, scope: 'openid email read:whoami' });
    const idToken = decodeJwt(String(tokens.response.body['id_token']));
    assert.equal(idToken['email'], EMAIL, 'the claims the scope allows are in the ID token');
    assert.equal(idToken['email_verified'], false);
  });

  it('no userinfo endpoint is advertised, and none answers', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const metadata = (await (await fetch(`${server.urls.issuer}${path}`)).json()) as Record<string, unknown>;
      assert.equal(metadata['userinfo_endpoint'], undefined, path);
    }
    const tokens = await obtainTokens({ ...server.flow, scope: 'openid email read:whoami' });
    const response = await fetch(`${server.urls.issuer}/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    assert.equal(response.status, 404);
    assert.equal((await callMcp(server, tokens.accessToken)).status, 200, 'the token still works where it is meant to');
  });

  it('A13 the logs hold none of the secrets this suite handled', () => {
    assertNoSecretsLogged(server);
  });
});
