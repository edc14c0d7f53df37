import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, nativeClientMetadata, refresh, registerClient } from '../helpers/authorize.js';
import { federatedBrowser, federatedTokens, OCTOCAT, startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';
import type { GitHubUser } from '../helpers/github-fixture.js';
import { Consents } from '../../src/authserver/people/consents.js';

const REDIRECT = 'http://127.0.0.1:43112/callback';
const HUBOT: GitHubUser = {
  id: 480938,
  login: 'hubot',
  name: 'Hubot',
  email: null,
  emails: [{ email: 'hubot@github.example', primary: true, verified: true }],
  repos: [],
};

/** Items 4 and 15 in federated mode: every cookie follows the rules, and a second person's consent is their own. */
describe('federated sessions: cookies and one grant per person', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated({ users: [OCTOCAT, HUBOT] });
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Sessions test' }));
    assert.equal(registered.status, 201);
    clientId = String(registered.body['client_id']);
  });
  after(() => server.close());

  it('every cookie of a federated flow is __Host-, Secure, HttpOnly, SameSite=Lax and Path=/', async () => {
    const browser = federatedBrowser(server);
    await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat', browser });
    const gatehouseCookies = browser.hops.filter((hop) => hop.url.origin === new URL(server.urls.issuer).origin).flatMap((hop) => hop.headers.getSetCookie());
    assert.ok(gatehouseCookies.length > 0);
    assert.ok(
      gatehouseCookies.some((c) => c.startsWith('__Host-gatehouse_upstream_')),
      'the consent-binding cookie',
    );
    assert.ok(
      gatehouseCookies.some((c) => /^__Host-gatehouse_session_[0-9a-f]{8}=/.test(c)),
      "oidc-provider's session cookie",
    );
    for (const cookie of gatehouseCookies) {
      const attributes = cookie.split(';').map((a) => a.trim().toLowerCase());
      assert.ok(cookie.startsWith('__Host-'), `__Host-: ${cookie}`);
      for (const attribute of ['secure', 'httponly', 'samesite=lax', 'path=/']) assert.ok(attributes.includes(attribute), `${attribute}: ${cookie}`);
      assert.ok(!attributes.some((a) => a.startsWith('domain=')), `host-only: ${cookie}`);
    }
  });

  it("a second person signing in upstream in the first person's browser gets their own grant and code", async () => {
    // The second person has used the app before, elsewhere, so they have a grant of their own to keep apart.
    await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'hubot' });
    const browser = federatedBrowser(server);
    const first = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat', browser });
    // The same browser, its Gatehouse session still the first person's; at GitHub, the second person signs in.
    const issuer = new URL(server.urls.issuer);
    const same = federatedBrowser(server);
    for (const cookie of browser.jar.all()) if (cookie.host === issuer.host) same.jar.store(issuer, cookie.raw);
    const second = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'hubot', browser: same, extraParams: { prompt: 'login' } });
    const firstSub = String(decodeJwt(first.accessToken)['sub']);
    const secondSub = String(decodeJwt(second.accessToken)['sub']);
    assert.notEqual(secondSub, firstSub, 'the code is for the person who signed in');
    const consents = new Consents(server.store, async () => {});
    const firstConsent = await consents.find(firstSub, clientId);
    const secondConsent = await consents.find(secondSub, clientId);
    assert.ok(firstConsent && secondConsent);
    assert.notEqual(secondConsent.grantId, firstConsent.grantId, "the second consent is not saved on the first person's grant");
    assert.equal(decodeJwt(second.accessToken)['gid'], secondConsent.grantId);
    // Both stay connected: the first person's refresh token still works, and still for them.
    const refreshed = await refresh(server, { client: { clientId }, refreshToken: first.refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(decodeJwt(String(refreshed.body['access_token']))['sub'], firstSub);
  });
});
