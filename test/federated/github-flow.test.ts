import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { authorizationUrl, decodeJwt, nativeClientMetadata, redeemCode, registerClient, type PageStep } from '../helpers/authorize.js';
import { PASSWORD } from '../helpers/embedded-server.js';
import {
  callTool,
  federatedAuthorize,
  federatedBrowser,
  federatedTokens,
  isConsent,
  isUpstreamChoice,
  OCTOCAT,
  startGitHubFederated,
  type FederatedTestServer,
} from '../helpers/federated.js';

const REDIRECT = 'http://127.0.0.1:43111/callback';

describe('federated sign-in through GitHub', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated({
      setup: (s) =>
        s.tool('list_repositories', { scopes: ['read:whoami'], inputSchema: z.object({}) }, async (_args, { caller }) => {
          const token = await caller!.upstream!.accessToken();
          const response = await fetch(`${server.github.apiUrl}/user/repos`, { headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'test' } });
          const repos = (await response.json()) as Array<{ full_name: string }>;
          return { repositories: repos.map((r) => r.full_name) };
        }),
    });
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Flow test' }));
    assert.equal(registered.status, 201);
    clientId = String(registered.body['client_id']);
  });
  after(() => server.close());

  it('signs in at GitHub and issues Gatehouse tokens that carry the GitHub identity', async () => {
    const { accessToken, refreshToken, flow } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    assert.ok(refreshToken);
    assert.equal(flow.params.get('iss'), server.urls.issuer);
    const claims = decodeJwt(accessToken);
    assert.equal(claims['aud'], server.urls.resource);
    assert.equal(claims['iss'], server.urls.issuer);
    const who = await callTool(server, accessToken, 'whoami');
    assert.deepEqual(who['upstream'], {
      source: 'github',
      subject: String(OCTOCAT.id),
      username: 'octocat',
      email: 'octocat@github.example',
      emailVerified: true,
    });
    assert.equal(server.github.stats.codeGrants, 1);
  });

  it('with the email scope, the ID token and the access token say the email GitHub vouched for is verified', async () => {
    const flow = await federatedAuthorize({ server, clientId, redirectUri: REDIRECT, login: 'octocat', scope: 'openid email read:whoami' });
    const tokens = await redeemCode(server, { client: { clientId }, code: flow.params.get('code')!, redirectUri: REDIRECT, codeVerifier: flow.codeVerifier });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    // OCTOCAT's primary email is verified at GitHub (its /user/emails says so).
    for (const [name, token] of [
      ['ID token', tokens.body['id_token']],
      ['access token', tokens.body['access_token']],
    ] as const) {
      const claims = decodeJwt(String(token));
      assert.equal(claims['email'], 'octocat@github.example', `${name}: email`);
      assert.equal(claims['email_verified'], true, `${name}: email_verified`);
    }
  });

  it('lets a tool call the GitHub API with the upstream token', async () => {
    const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const result = await callTool(server, accessToken, 'list_repositories');
    assert.deepEqual(result['repositories'], ['octocat/hello-world', 'octocat/secret-plans']);
  });

  it('forwards a denial at GitHub to the app as access_denied', async () => {
    const flow = await federatedAuthorize({
      server,
      clientId,
      redirectUri: REDIRECT,
      login: 'octocat',
      upstreamDecision: 'cancel',
      extraParams: { prompt: 'login' },
    });
    assert.equal(flow.location.origin + flow.location.pathname, REDIRECT);
    assert.equal(flow.params.get('error'), 'access_denied');
    assert.equal(flow.params.get('state'), flow.state);
  });
});

describe('federated sign-in offered next to local accounts', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated({ localLogin: true });
    await server.accounts.create('ada@example.com', PASSWORD);
    clientId = String((await registerClient(server, nativeClientMetadata(REDIRECT))).body['client_id']);
  });
  after(() => server.close());

  it('shows the provider and the password form on one page; a password sign-in goes on to the consent page', async () => {
    const browser = federatedBrowser(server);
    const { url } = authorizationUrl({ server, clientId, redirectUri: REDIRECT });
    const page = await browser.navigate(url);
    assert.ok(isUpstreamChoice(page) && page.kind === 'page');
    assert.match(page.body, /Allow and continue with GitHub/);
    const passwordAction = /<form method="post" action="([^"]*\/login)"/.exec(page.body)?.[1];
    assert.ok(passwordAction, 'a password form');
    const consent = await browser.post(new URL(passwordAction, page.url), { csrf: page.form!.csrf, email: 'ada@example.com', password: PASSWORD });
    assert.ok(isConsent(consent), 'the consent page after a password sign-in');
    const done = await browser.submit(consent as PageStep, { decision: 'allow' });
    assert.equal(done.kind, 'redirect');
    assert.ok(done.kind === 'redirect' && done.location.searchParams.get('code'));
  });

  it('refuses password sign-ins when local accounts are off (the default in federated mode)', async () => {
    const closed = await startGitHubFederated();
    try {
      await closed.accounts.create('ada@example.com', PASSWORD);
      const id = String((await registerClient(closed, nativeClientMetadata(REDIRECT))).body['client_id']);
      const browser = federatedBrowser(closed);
      const page = await browser.navigate(authorizationUrl({ server: closed, clientId: id, redirectUri: REDIRECT }).url);
      assert.ok(page.kind === 'page');
      assert.doesNotMatch(page.body, /type="password"/);
      const uid = /\/interaction\/([^/]+)\/upstream/.exec(page.form!.action.pathname)![1];
      const refused = await browser.post(`${closed.urls.issuer}/interaction/${uid}/login`, {
        csrf: page.form!.csrf,
        email: 'ada@example.com',
        password: PASSWORD,
      });
      assert.equal(refused.kind === 'page' && refused.status, 400);
    } finally {
      await closed.close();
    }
  });
});
