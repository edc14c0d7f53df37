import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { keySource } from '../../src/authserver/keys/key-store.js';
import { UpstreamReauthenticationRequired, UpstreamVault, vaultSecrets } from '../../src/authserver/upstream/vault.js';
import { callMcp, decodeJwt, nativeClientMetadata, registerClient, type Browser, type PageStep, type Step } from '../helpers/authorize.js';
import {
  callTool,
  federatedTokens,
  formFields,
  GITHUB_CLIENT_ID,
  GITHUB_CLIENT_SECRET,
  isGitHubScreen,
  startGitHubFederated,
  type FederatedTestServer,
} from '../helpers/federated.js';
import { captureLogger } from '../helpers/server.js';

const REDIRECT = 'http://127.0.0.1:43121/callback';
const OTHER_REDIRECT = 'http://127.0.0.1:43122/callback';
const VAULT_KIND = 'UpstreamTokens';

/** A tool that calls GitHub's `/user` with the caller's upstream token; it answers with a digest of the token, never the token. */
function addGitHubUserTool(getServer: () => FederatedTestServer) {
  return (s: FederatedTestServer['server']) =>
    s
      .tool('github_user', { scopes: ['read:whoami'], inputSchema: z.object({}) }, async (_args, { caller }) => {
        const token = await caller!.upstream!.accessToken();
        const response = await fetch(`${getServer().github.apiUrl}/user`, { headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'gatehouse-test' } });
        if (!response.ok) throw new Error(`GitHub answered ${response.status}`);
        const user = (await response.json()) as { login: string };
        return { login: user.login, token: createHash('sha256').update(token).digest('hex').slice(0, 16) };
      })
      .tool('upstream_status', { scopes: ['read:whoami'], inputSchema: z.object({}) }, async (_args, { caller }) => {
        try {
          await caller!.upstream!.accessToken();
          return { available: true, signInAgain: false };
        } catch (error) {
          return { available: false, signInAgain: error instanceof UpstreamReauthenticationRequired, error: (error as Error).message };
        }
      });
}

/**
 * Write a person's GitHub token set back into the server's vault with an expiry 10 s away (inside the vault's
 * 60 s refresh margin), as if most of its lifetime had passed. Uses the vault's own API and the server's key
 * material, so the record is exactly what the server would have written.
 */
async function makeExpiring(server: FederatedTestServer, userId: string, tokens: { accessToken: string; refreshToken: string }): Promise<void> {
  const { keys } = await keySource({ dataDir: server.dataDir, store: server.store, inStore: false }).load();
  const clock = new UpstreamVault(server.store, new Map(), vaultSecrets(keys), captureLogger().logger);
  await clock.save(userId, 'github', { ...tokens, expiresAt: Date.now() + 10_000 });
}

/** The GitHub tokens the fixture issued, oldest first. */
function issuedTokens(server: FederatedTestServer): { access: string[]; refresh: string[] } {
  const issued = server.github.secrets();
  return { access: issued.filter((s) => s.startsWith('gho_')), refresh: issued.filter((s) => s.startsWith('ghr_')) };
}

async function registerApp(server: FederatedTestServer, redirectUri: string, name: string): Promise<string> {
  const registered = await registerClient(server, nativeClientMetadata(redirectUri, { client_name: name }));
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return String(registered.body['client_id']);
}

describe('federated: refreshing expiring GitHub tokens', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    // GitHub "expiring user tokens": token answers carry expires_in and a (rotating) refresh token. The lifetime
    // stays long (one hour), so a token obtained by a refresh is never inside the vault's 60 s refresh margin
    // during the test: whatever the timing of the 20 calls, none of them can trigger a second refresh.
    server = await startGitHubFederated({ fixture: { expiringTokens: true, accessTokenTtlSeconds: 3600 }, setup: addGitHubUserTool(() => server) });
    clientId = await registerApp(server, REDIRECT, 'Refresh test');
  });
  after(() => server?.close());

  it('refreshes once for 20 concurrent tool calls, and every call reaches GitHub with the fresh token', async () => {
    const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const userId = String(decodeJwt(accessToken)['sub']);
    const first = await callTool(server, accessToken, 'github_user');
    assert.equal(first['login'], 'octocat');
    assert.equal(server.github.stats.refreshGrants, 0, 'a token that is not about to expire is used as is');

    // Time passes: the GitHub token is now about to expire. Rather than sleeping for most of an hour (or using a
    // lifetime inside the margin, which would make every refreshed token "expiring" too and the count depend on
    // timing), the test writes the same token set back through the vault's own API with an expiry 10 s away —
    // inside the 60 s margin — using the server's key material. The fixture then expires the token for real, so a
    // tool call that used it would get 401 from GitHub.
    const issued = issuedTokens(server);
    assert.equal(issued.access.length, 1, 'one GitHub access token so far');
    assert.equal(issued.refresh.length, 1, 'one GitHub refresh token so far');
    await makeExpiring(server, userId, { accessToken: issued.access[0]!, refreshToken: issued.refresh[0]! });
    server.github.expireAllAccessTokens();
    assert.equal(server.github.hasLiveToken('octocat'), false);

    const results = await Promise.all([...Array(20)].map(() => callTool(server, accessToken, 'github_user')));
    assert.equal(server.github.stats.refreshGrants, 1, 'exactly one refresh at GitHub');
    for (const result of results) assert.equal(result['login'], 'octocat');
    assert.equal(new Set(results.map((r) => r['token'])).size, 1, 'every call used the same, fresh token');
    assert.notEqual(results[0]!['token'], first['token']);
    assert.equal(server.github.hasLiveToken('octocat'), true);

    // The fresh token is stored: later calls use it without another refresh.
    const later = await callTool(server, accessToken, 'github_user');
    assert.equal(later['token'], results[0]!['token']);
    assert.equal(server.github.stats.refreshGrants, 1);
    // And nothing of it reached the logs.
    const logs = server.logs.join('\n');
    for (const secret of server.github.secrets()) assert.ok(!logs.includes(secret), 'no GitHub token or client secret in the logs');
  });

  it('asks the person to sign in again, and forgets the tokens, when GitHub refuses the refresh token', async () => {
    const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const userId = String(decodeJwt(accessToken)['sub']);
    assert.deepEqual(await callTool(server, accessToken, 'upstream_status'), { available: true, signInAgain: false });
    const latest = issuedTokens(server);
    const tokens = { accessToken: latest.access.at(-1)!, refreshToken: latest.refresh.at(-1)! };

    // The person revokes the app in their GitHub settings: every token of the grant, refresh token included, dies.
    const revoked = await fetch(`${server.github.apiUrl}/applications/${GITHUB_CLIENT_ID}/grant`, {
      method: 'DELETE',
      headers: {
        Authorization: `Basic ${Buffer.from(`${GITHUB_CLIENT_ID}:${GITHUB_CLIENT_SECRET}`).toString('base64')}`,
        'Content-Type': 'application/json',
        'User-Agent': 'gatehouse-test',
      },
      body: JSON.stringify({ access_token: tokens.accessToken }),
    });
    assert.equal(revoked.status, 204);
    await makeExpiring(server, userId, tokens);

    // GitHub answers the refresh with its own error code (bad_refresh_token, with HTTP 200): the sign-in is over.
    const refreshes = server.github.stats.refreshGrants;
    const status = await callTool(server, accessToken, 'upstream_status');
    assert.equal(server.github.stats.refreshGrants, refreshes, 'GitHub issued nothing');
    assert.equal(status['available'], false);
    assert.equal(status['signInAgain'], true, `UpstreamReauthenticationRequired, got: ${String(status['error'])}`);
    assert.equal(await server.store.get(VAULT_KIND, `${userId}|github`), undefined, 'the dead token set is forgotten');
  });
});

/** Sign in to the account page with GitHub ("Continue with GitHub"), in this browser; the account page. */
async function signInToAccountPage(server: FederatedTestServer, browser: Browser): Promise<PageStep> {
  let step: Step = await browser.navigate(`${server.urls.issuer}/account`);
  assert.equal(step.kind, 'page');
  if (step.form?.action.pathname === '/account/upstream') step = await browser.submit(step, { source: 'github' });
  if (isGitHubScreen(step))
    step = await browser.post(step.form!.action, { ...formFields(step.body), login: 'octocat', decision: 'authorize' }, { origin: step.url.origin });
  assert.equal(step.kind, 'page');
  assert.equal(step.url.pathname, '/account', `the account page, got ${step.url.href} ${step.status}`);
  assert.match(step.body, /Connected apps/);
  return step;
}

/** Press "Disconnect" for one app on the account page; the page shown afterwards. */
async function disconnect(browser: Browser, page: PageStep, clientId: string): Promise<PageStep> {
  assert.ok(page.body.includes(clientId), `the account page lists ${clientId}`);
  assert.equal(page.form?.action.pathname, '/account/revoke');
  const after = await browser.submit(page, { client_id: clientId });
  assert.equal(after.kind, 'page');
  assert.match(after.body, /The app was disconnected/);
  return after;
}

describe('federated: disconnecting apps on the account page', () => {
  let server: FederatedTestServer;

  before(async () => {
    server = await startGitHubFederated({ fixture: { expiringTokens: true }, setup: addGitHubUserTool(() => server) });
  });
  after(() => server?.close());

  it('keeps the GitHub tokens while an app is still connected, and drops and revokes them with the last one', async () => {
    const first = await registerApp(server, REDIRECT, 'First app');
    const second = await registerApp(server, OTHER_REDIRECT, 'Second app');
    const one = await federatedTokens({ server, clientId: first, redirectUri: REDIRECT, login: 'octocat' });
    const two = await federatedTokens({ server, clientId: second, redirectUri: OTHER_REDIRECT, login: 'octocat', browser: one.flow.browser });
    const userId = String(decodeJwt(one.accessToken)['sub']);
    assert.equal(decodeJwt(two.accessToken)['sub'], userId, 'one account behind both apps');
    assert.equal((await callTool(server, two.accessToken, 'github_user'))['login'], 'octocat');
    assert.ok(await server.store.get(VAULT_KIND, `${userId}|github`), 'the vault holds GitHub tokens for the account');

    const browser = one.flow.browser;
    let page = await signInToAccountPage(server, browser);
    const revocations = server.github.stats.revocations;

    page = await disconnect(browser, page, first);
    assert.ok(await server.store.get(VAULT_KIND, `${userId}|github`), 'another app is still connected: the tokens stay');
    assert.equal(server.github.stats.revocations, revocations);
    assert.equal(server.github.hasLiveToken('octocat'), true);
    assert.equal((await callMcp(server, one.accessToken)).status, 401, 'the disconnected app lost access');
    assert.equal((await callTool(server, two.accessToken, 'github_user'))['login'], 'octocat', 'the other app still reaches GitHub');

    await disconnect(browser, page, second);
    assert.equal(await server.store.get(VAULT_KIND, `${userId}|github`), undefined, 'the vault record is gone');
    assert.equal(server.github.stats.revocations, revocations + 1, 'GitHub was told to revoke the grant');
    assert.equal(server.github.hasLiveToken('octocat'), false, 'no GitHub token of octocat works any more');
    assert.equal((await callMcp(server, two.accessToken)).status, 401);
  });
});
