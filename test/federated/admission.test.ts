import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { AuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/util/logger.js';
import { oidc } from '../../src/authserver/upstream/oidc.js';
import { federated, github } from '../../src/index.js';
import { authorizationUrl, decodeJwt, nativeClientMetadata, redeemCode, registerClient } from '../helpers/authorize.js';
import { launchBrowser } from '../helpers/browser.js';
import { freePort } from '../helpers/cli.js';
import { GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, OCTOCAT, startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';
import type { GitHubUser } from '../helpers/github-fixture.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { startClaimsUpstream, type ClaimsUpstream } from '../helpers/oidc-claims-upstream.js';

const STEP_MS = 30_000;
const HOOK = { timeout: 120_000 };

const MALLORY: GitHubUser = { id: 666, login: 'mallory', emails: [{ email: 'mallory@elsewhere.example', primary: true, verified: true }] };
const WILE: GitHubUser = { id: 1001, login: 'wile', orgs: ['acme'], emails: [{ email: 'wile@elsewhere.example', primary: true, verified: true }] };
const TINA: GitHubUser = { id: 1002, login: 'tina', orgs: ['umbrella'], teams: ['umbrella/platform'] };
const URSULA: GitHubUser = { id: 1003, login: 'ursula', orgs: ['umbrella'], teams: ['umbrella/marketing'] };
const EVE: GitHubUser = { id: 1004, login: 'eve', emails: [{ email: 'eve@corp.example', primary: true, verified: false }] };
const VERA: GitHubUser = { id: 1005, login: 'vera', emails: [{ email: 'vera@corp.example', primary: true, verified: true }] };

type Server = FederatedTestServer;

/** Everything the store could hold for a person: accounts, identity links, email index, vault, grants, consents. */
async function footprint(server: Server): Promise<Record<string, number>> {
  const kinds = ['User', 'UserByIdentity', 'UserByEmail', 'UpstreamTokens', 'Grant', 'Consent'];
  return Object.fromEntries(await Promise.all(kinds.map(async (kind) => [kind, (await server.store.list(kind)).length] as const)));
}

/** Click a button that submits a form, and wait until the browser has left the page it was on. */
async function click(page: Page, selector: string): Promise<void> {
  const before = page.url();
  await page.click(selector);
  await page.waitForURL((url) => url.href !== before);
}

describe('federated sign-in admits only whom the admission policy names (a real browser)', () => {
  let browser: Browser;
  let callback: CallbackServer;
  before(async () => {
    browser = await launchBrowser();
    callback = await CallbackServer.start();
  }, HOOK);
  after(async () => {
    await browser?.close();
    await callback?.close();
  }, HOOK);

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    context.setDefaultTimeout(STEP_MS);
    context.setDefaultNavigationTimeout(STEP_MS);
    return { context, page: await context.newPage() };
  }

  /**
   * A person opens the app's authorization link, approves on Gatehouse's page, and signs in upstream with
   * `signIn`. Ends at the app's callback (admitted) or on Gatehouse's refusal page.
   */
  async function attempt(server: Server, source: string, signIn: (page: Page) => Promise<void>, extraParams: Record<string, string> = {}) {
    const registered = await registerClient(server, nativeClientMetadata(callback.url, { client_name: 'Admission test app' }));
    assert.equal(registered.status, 201);
    const clientId = String(registered.body['client_id']);
    const { url, codeVerifier } = authorizationUrl({ server, clientId, redirectUri: callback.url, extraParams });
    const { context, page } = await newPage();
    await page.goto(url.href);
    await click(page, `button[name=source][value=${source}]`);
    await signIn(page);
    await page.waitForURL((u) => u.href.startsWith(callback.url) || /\/interaction\/[^/]+\/upstream$/.test(u.pathname));
    const atApp = page.url().startsWith(callback.url);
    const body = atApp ? '' : await page.content();
    return {
      clientId,
      page,
      context,
      body,
      status: atApp ? 'admitted' : 'refused',
      tokens: async () => {
        // The browser landed on the app's callback: the authorization response is in its address.
        const params = new URL(page.url()).searchParams;
        const code = params.get('code');
        assert.ok(code, `no code: ${params}`);
        const response = await redeemCode(server, { client: { clientId }, code, redirectUri: callback.url, codeVerifier });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        return response.body;
      },
    };
  }

  const atGitHub = (login: string) => async (page: Page) => {
    await page.fill('#login', login);
    await page.click('#authorize');
  };

  /** A refusal: the page says so, and the store holds exactly what it held before. */
  async function assertRefused(server: Server, run: () => ReturnType<typeof attempt>, who: RegExp) {
    const before = await footprint(server);
    const result = await run();
    assert.equal(result.status, 'refused', 'the person stays on Gatehouse');
    assert.match(result.body, /This server does not admit you/);
    assert.match(result.body, who, 'names the account they signed in as');
    assert.deepEqual(await footprint(server), before, 'nothing was created for them');
    await result.context.close();
    return result;
  }

  describe('GitHub: users, organisations, teams and verified email domains', () => {
    let server: Server;
    before(async () => {
      server = await startGitHubFederated({
        users: [OCTOCAT, MALLORY, WILE, TINA, URSULA, EVE, VERA],
        github: { scopes: ['read:user', 'user:email', 'read:org'] },
        admit: {
          users: ['octocat'],
          githubOrgs: ['acme'],
          githubTeams: ['umbrella/platform'],
          emailDomains: ['corp.example'],
          contact: 'it-help@corp.example',
        },
      });
    }, HOOK);
    after(() => server?.close(), HOOK);

    it('admits a listed GitHub login: the app gets a code and the tokens carry the person', HOOK, async () => {
      const result = await attempt(server, 'github', atGitHub('octocat'));
      assert.equal(result.status, 'admitted');
      const tokens = await result.tokens();
      assert.ok(await server.accounts.findById(String(decodeJwt(String(tokens['access_token']))['sub'])));
      await result.context.close();
    });

    it('refuses anyone else: a page naming them and whom to ask, nothing stored, the refusal audited, GitHub token revoked', HOOK, async () => {
      const result = await assertRefused(server, () => attempt(server, 'github', atGitHub('mallory')), /mallory/);
      assert.match(result.body, /it-help@corp\.example/);
      assert.equal(await server.accounts.findByIdentity('github', String(MALLORY.id)), undefined);
      assert.equal(server.github.hasLiveToken('mallory'), false, 'the GitHub token is not kept anywhere');
      const audit = new AuditLog(server.store, createLogger({ level: 'silent' }));
      const refusals = (await audit.list({ type: 'login.failed' })).filter((e) => e.outcome === 'denied' && e.reason?.includes('admission'));
      assert.equal(refusals.length, 1);
      assert.match(refusals[0]!.reason!, /github 666/);
    });

    it('lets a refused person go back to the app, which then hears access_denied', HOOK, async () => {
      const result = await attempt(server, 'github', atGitHub('mallory'));
      assert.equal(result.status, 'refused');
      await click(result.page, 'button[value=refused]');
      assert.ok(result.page.url().startsWith(callback.url), 'back at the app');
      const params = new URL(result.page.url()).searchParams;
      assert.equal(params.get('error'), 'access_denied');
      assert.equal(params.get('code'), null);
      await result.context.close();
    });

    it('admits a member of a listed organisation', HOOK, async () => {
      const result = await attempt(server, 'github', atGitHub('wile'));
      assert.equal(result.status, 'admitted');
      await result.tokens();
      await result.context.close();
    });

    it('admits a member of a listed team, and refuses a member of the same organisation in another team', HOOK, async () => {
      const tina = await attempt(server, 'github', atGitHub('tina'));
      assert.equal(tina.status, 'admitted');
      await tina.tokens();
      await tina.context.close();
      await assertRefused(server, () => attempt(server, 'github', atGitHub('ursula')), /ursula/);
    });

    it('admits a verified email at a listed domain, and refuses the same domain unverified', HOOK, async () => {
      const vera = await attempt(server, 'github', atGitHub('vera'));
      assert.equal(vera.status, 'admitted');
      await vera.tokens();
      await vera.context.close();
      await assertRefused(server, () => attempt(server, 'github', atGitHub('eve')), /eve/);
    });
  });

  describe('GitHub, invitation only: existing accounts', () => {
    let server: Server;
    before(async () => {
      server = await startGitHubFederated({ users: [OCTOCAT, MALLORY], admit: { existingAccounts: true }, linkByVerifiedEmail: true });
    }, HOOK);
    after(() => server?.close(), HOOK);

    it('refuses a person with no account, then admits them to the account an operator made for them, creating none', HOOK, async () => {
      await assertRefused(server, () => attempt(server, 'github', atGitHub('octocat')), /octocat/);
      const invited = await server.accounts.create('octocat@github.example', 'an operator-set password 0123');
      const accounts = await server.accounts.count();
      const result = await attempt(server, 'github', atGitHub('octocat'));
      assert.equal(result.status, 'admitted');
      const tokens = await result.tokens();
      assert.equal(decodeJwt(String(tokens['access_token']))['sub'], invited.id, 'signed in to the invited account');
      assert.equal(await server.accounts.count(), accounts, 'no new account');
      await result.context.close();
      await assertRefused(server, () => attempt(server, 'github', atGitHub('mallory')), /mallory/);
    });
  });

  describe('OpenID: hosted domains and tenants from the ID token, verified email domains', () => {
    let server: Server;
    let upstream: ClaimsUpstream;
    before(async () => {
      const port = await freePort();
      upstream = await startClaimsUpstream(`http://localhost:${port}/oauth/callback/oidc`, {
        ann: { email: 'ann@gmail.example', email_verified: true, hd: 'acme.example' },
        bob: { email: 'bob@acme.example', email_verified: true },
        tom: { email: 'tom@outlook.example', email_verified: true, tid: 'tenant-a' },
        tim: { email: 'tim@outlook.example', email_verified: true, tid: 'tenant-b' },
        val: { email: 'val@corp.example', email_verified: true },
        una: { email: 'una@corp.example', email_verified: false },
      });
      server = await startGitHubFederated({
        port,
        extraUpstreams: [oidc({ issuer: upstream.issuer, clientId: upstream.clientId, clientSecret: upstream.clientSecret })],
        admit: { hostedDomains: ['acme.example'], tenants: ['tenant-a'], emailDomains: ['corp.example'] },
      });
    }, HOOK);
    after(async () => {
      await server?.close();
      await upstream?.close();
    }, HOOK);

    const atProvider = (login: string) => async (page: Page) => {
      await page.fill('input[name=login]', login);
      await page.fill('input[name=password]', 'any password');
      await click(page, 'button[type=submit]');
      await page.click('button[type=submit]');
    };

    it('admits an account of a listed hosted domain (hd), and refuses one whose email merely has that domain, even if the request names it', HOOK, async () => {
      const ann = await attempt(server, 'oidc', atProvider('ann'));
      assert.equal(ann.status, 'admitted');
      await ann.tokens();
      await ann.context.close();
      await assertRefused(server, () => attempt(server, 'oidc', atProvider('bob'), { hd: 'acme.example' }), /bob/);
    });

    it('admits an account of a listed tenant (tid) and refuses another tenant', HOOK, async () => {
      const tom = await attempt(server, 'oidc', atProvider('tom'));
      assert.equal(tom.status, 'admitted');
      await tom.tokens();
      await tom.context.close();
      await assertRefused(server, () => attempt(server, 'oidc', atProvider('tim')), /tim/);
    });

    it('admits a verified email at a listed domain and refuses the same domain unverified', HOOK, async () => {
      const val = await attempt(server, 'oidc', atProvider('val'));
      assert.equal(val.status, 'admitted');
      await val.tokens();
      await val.context.close();
      await assertRefused(server, () => attempt(server, 'oidc', atProvider('una')), /una/);
    });
  });
});

describe('federated mode without an admission policy', () => {
  const source = () => github({ clientId: GITHUB_CLIENT_ID, clientSecret: GITHUB_CLIENT_SECRET });

  it('throws, naming the options', () => {
    assert.throws(
      () => federated({ upstreams: [source()] }),
      /admits nobody until you say whom: set admit\.users, admit\.githubOrgs.*dangerouslyAllowAnyUpstreamAccount/,
    );
    assert.throws(() => federated({ upstreams: [source()], admit: { users: [] } }), /admits nobody/);
  });

  it('refuses organisation admission without the read:org scope, and a policy beside the dangerous flag', () => {
    assert.throws(() => federated({ upstreams: [source()], admit: { githubOrgs: ['acme'] } }), /read:org/);
    assert.throws(() => federated({ upstreams: [source()], admit: { users: ['octocat'] }, dangerouslyAllowAnyUpstreamAccount: true }), /not both/);
  });
});
