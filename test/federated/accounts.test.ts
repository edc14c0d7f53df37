import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Accounts, accountLabel } from '../../src/authserver/people/accounts.js';
import type { UpstreamProfile } from '../../src/resource/caller.js';
import { MemoryStore, openStore } from '../../src/store/index.js';
import { StoreUnavailableError, type Store } from '../../src/store/contract/store.js';
import { callMcp, decodeJwt, nativeClientMetadata, registerClient } from '../helpers/authorize.js';
import { PASSWORD } from '../helpers/embedded-server.js';
import {
  callTool,
  federatedAuthorize,
  federatedTokens,
  GITHUB_CLIENT_ID,
  GITHUB_CLIENT_SECRET,
  OCTOCAT,
  startGitHubFederated,
  type FederatedTestServer,
} from '../helpers/federated.js';
import { gatehouseCommand } from '../helpers/gatehouse-process.js';
import type { GitHubUser } from '../helpers/github-fixture.js';
import { deleteKeysWithPrefixes, sharedRedis } from '../store/redis-fixture.js';

const REDIRECT = 'http://127.0.0.1:43131/callback';
const SHARED_EMAIL = 'shared@example.com';

/** Two GitHub people who both have SHARED_EMAIL as their primary, verified address; one who only claims it. */
const ALICE: GitHubUser = { id: 1001, login: 'alice-gh', emails: [{ email: SHARED_EMAIL, primary: true, verified: true }] };
const BOB: GitHubUser = { id: 1002, login: 'bob-gh', emails: [{ email: 'Shared@Example.com', primary: true, verified: true }] };
const CAROL: GitHubUser = { id: 1003, login: 'carol-gh', email: SHARED_EMAIL, emails: [{ email: SHARED_EMAIL, primary: true, verified: false }] };

async function registerApp(server: FederatedTestServer): Promise<string> {
  const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Accounts test' }));
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return String(registered.body['client_id']);
}

/** Sign in through GitHub as `login` in a fresh browser; the account id (`sub`) the app's token names, and the token. */
async function signIn(server: FederatedTestServer, clientId: string, login: string): Promise<{ sub: string; accessToken: string }> {
  const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login });
  return { sub: String(decodeJwt(accessToken)['sub']), accessToken };
}

describe('federated accounts: identity by GitHub user id', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated();
    clientId = await registerApp(server);
  });
  after(() => server?.close());

  it('signs the same GitHub user id in to the same account after the login is renamed', async () => {
    const before = await signIn(server, clientId, 'octocat');
    const count = await server.accounts.count();
    // The rename at GitHub: same numeric id, new login (the fixture keys users by login, so this adds the new name).
    server.github.addUser({ ...OCTOCAT, login: 'monalisa-octocat' });
    const afterRename = await signIn(server, clientId, 'monalisa-octocat');
    assert.equal(afterRename.sub, before.sub, 'the same account');
    assert.equal(await server.accounts.count(), count, 'no new account');
    const who = await callTool(server, afterRename.accessToken, 'whoami');
    assert.deepEqual(who['upstream'], {
      source: 'github',
      subject: String(OCTOCAT.id),
      username: 'monalisa-octocat',
      email: 'octocat@github.example',
      emailVerified: true,
    });
    const user = await server.accounts.findById(before.sub);
    assert.equal(user?.identities?.length, 1, 'one linked identity, its profile updated');
    assert.equal(user?.identities?.[0]?.username, 'monalisa-octocat');
  });

  it('keeps a GitHub user with a different id in a different account, even with the same login later', async () => {
    const original = await signIn(server, clientId, 'octocat');
    // Another person takes over a login someone gave up: a different id, so a different account.
    server.github.addUser({ id: 99_999, login: 'octocat', emails: [{ email: 'newcomer@example.com', primary: true, verified: true }] });
    const newcomer = await signIn(server, clientId, 'octocat');
    assert.notEqual(newcomer.sub, original.sub);
    server.github.addUser(OCTOCAT);
  });
});

describe('federated accounts: linking by verified email', () => {
  describe('with linkByVerifiedEmail off (the default)', () => {
    let server: FederatedTestServer;
    let clientId: string;
    let localId: string;

    before(async () => {
      server = await startGitHubFederated({ users: [ALICE, BOB, CAROL] });
      clientId = await registerApp(server);
      localId = (await server.accounts.create(SHARED_EMAIL, PASSWORD)).id;
    });
    after(() => server?.close());

    it('creates a new account for each GitHub user, not the local account with the same email', async () => {
      const alice = await signIn(server, clientId, 'alice-gh');
      const bob = await signIn(server, clientId, 'bob-gh');
      assert.notEqual(alice.sub, localId);
      assert.notEqual(bob.sub, localId);
      assert.notEqual(alice.sub, bob.sub);
      // The email still names the local account; the new ones do not take it over.
      assert.equal((await server.accounts.findByEmail(SHARED_EMAIL))?.id, localId);
      assert.equal((await server.accounts.findById(localId))?.identities, undefined, 'nothing was linked to the local account');
      assert.equal(accountLabel((await server.accounts.findById(alice.sub))!), 'alice-gh (github)');
    });
  });

  describe('with linkByVerifiedEmail on', () => {
    let server: FederatedTestServer;
    let clientId: string;
    let localId: string;

    before(async () => {
      server = await startGitHubFederated({ users: [ALICE, BOB, CAROL], linkByVerifiedEmail: true });
      clientId = await registerApp(server);
      localId = (await server.accounts.create(SHARED_EMAIL, PASSWORD)).id;
    });
    after(() => server?.close());

    it('signs GitHub users with that verified email in to the local account', async () => {
      const alice = await signIn(server, clientId, 'alice-gh');
      assert.equal(alice.sub, localId);
      const bob = await signIn(server, clientId, 'bob-gh');
      assert.equal(bob.sub, localId, 'the email is compared case-insensitively');
      const user = await server.accounts.findById(localId);
      assert.deepEqual(user?.identities?.map((i) => i.subject).sort(), ['1001', '1002']);
      // Once linked, the identity signs in by its id.
      assert.equal((await signIn(server, clientId, 'alice-gh')).sub, localId);
    });

    it('never links an unverified email, even one the GitHub profile shows', async () => {
      const carol = await signIn(server, clientId, 'carol-gh');
      assert.notEqual(carol.sub, localId);
      const user = await server.accounts.findById(carol.sub);
      assert.equal(user?.email, '', 'an unverified address is not the account email');
      const who = await callTool(server, carol.accessToken, 'whoami');
      assert.equal((who['upstream'] as { emailVerified: boolean }).emailVerified, false);
      assert.ok(!(await server.accounts.findById(localId))?.identities?.some((i) => i.subject === '1003'));
    });
  });
});

describe('federated accounts: disabled accounts', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated();
    clientId = await registerApp(server);
  });
  after(() => server?.close());

  it('refuses the sign-in of a disabled account (access_denied to the app) and its existing tokens (401)', async () => {
    const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const sub = String(decodeJwt(accessToken)['sub']);
    assert.equal((await callMcp(server, accessToken)).status, 200);

    await server.accounts.setDisabled(sub, true);
    try {
      const refused = await callMcp(server, accessToken);
      assert.equal(refused.status, 401);
      assert.match(refused.headers.get('www-authenticate') ?? '', /invalid_token/);

      // A new sign-in through GitHub (in a fresh browser) ends at the app with access_denied, and no code.
      const codeGrants = server.github.stats.codeGrants;
      const fresh = await federatedAuthorize({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
      assert.equal(fresh.location.origin + fresh.location.pathname, REDIRECT);
      assert.equal(fresh.params.get('error'), 'access_denied');
      assert.equal(fresh.params.get('code'), null);
      assert.equal(fresh.params.get('state'), fresh.state);
      assert.equal(server.github.stats.codeGrants, codeGrants + 1, 'the person did sign in at GitHub');
    } finally {
      await server.accounts.setDisabled(sub, false);
    }

    // Enabled again, the same GitHub user signs in to the same account.
    const back = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    assert.equal(decodeJwt(back.accessToken)['sub'], sub);
    assert.equal((await callMcp(server, back.accessToken)).status, 200);
  });

  it('refuses a disabled account in a browser that still has its session (access_denied, not an error page)', async () => {
    const { accessToken, flow } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const sub = String(decodeJwt(accessToken)['sub']);
    await server.accounts.setDisabled(sub, true);
    try {
      // The browser's authorization-server session still names the now-disabled account.
      const again = await federatedAuthorize({ server, clientId, redirectUri: REDIRECT, login: 'octocat', browser: flow.browser }).catch((error: Error) =>
        assert.fail(
          `the app should get error=access_denied; instead /auth answered an error page (${/with status \d+/.exec(error.message)?.[0]}: "${/<title>([^<]*)/.exec(error.message)?.[1]}")`,
        ),
      );
      assert.equal(again.location.origin + again.location.pathname, REDIRECT);
      assert.equal(again.params.get('error'), 'access_denied');
      assert.equal(again.params.get('code'), null);
    } finally {
      await server.accounts.setDisabled(sub, false);
    }
  });
});

describe('Accounts.signInWithIdentity: concurrent first sign-ins', () => {
  const identity = (subject: string, extra: Partial<UpstreamProfile> = {}): UpstreamProfile => ({
    source: 'github',
    subject,
    username: `user-${subject}`,
    email: `${subject}@example.com`,
    emailVerified: true,
    ...extra,
  });

  async function raceOn(stores: Store[], linkByVerifiedEmail: boolean) {
    const accounts = stores.map((s) => new Accounts(s));
    const results = await Promise.all(
      [...Array(10)].map((_, i) => accounts[i % accounts.length]!.signInWithIdentity(identity('4242'), { linkByVerifiedEmail })),
    );
    assert.equal(new Set(results.map((u) => u.id)).size, 1, 'every sign-in got the same account');
    const all = await accounts[0]!.list();
    assert.equal(all.length, 1, 'one account in the store');
    assert.equal(all[0]!.email, '4242@example.com');
    assert.equal(all[0]!.identities?.length, 1);
    assert.equal((await accounts[0]!.findByEmail('4242@example.com'))?.id, all[0]!.id);
  }

  for (const linkByVerifiedEmail of [false, true]) {
    it(`produce one account on a memory store (linkByVerifiedEmail ${linkByVerifiedEmail})`, async () => {
      await raceOn([new MemoryStore()], linkByVerifiedEmail);
    });
  }

  it('produce one account on a SQLite store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-accounts-race-'));
    const store = await openStore(`sqlite:${join(dir, 'gatehouse.db')}`);
    try {
      await raceOn([store], false);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('produce one account across two replicas on one Redis store', async () => {
    const redis = await sharedRedis();
    const prefix = `test-${randomUUID()}`;
    const a = await openStore(redis.url, { prefix });
    const b = await openStore(redis.url, { prefix });
    try {
      await raceOn([a, b], false);
    } finally {
      await a.close();
      await b.close();
      await deleteKeysWithPrefixes(redis.url, [prefix]);
      await redis.release();
    }
  });

  it('keeps different identities in different accounts when signing in at once', async () => {
    const accounts = new Accounts(new MemoryStore());
    const [x, y] = await Promise.all([
      accounts.signInWithIdentity(identity('1'), { linkByVerifiedEmail: false }),
      accounts.signInWithIdentity(identity('2'), { linkByVerifiedEmail: false }),
    ]);
    assert.notEqual(x.id, y.id);
    assert.equal(await accounts.count(), 2);
  });
});

/**
 * A memory store that can fail the next write of one kind (a store blip, or a crash between two writes), and
 * that stops a runaway: past `limit` reads it throws, so a sign-in that loops forever fails the test instead of
 * hanging it (a MemoryStore never yields to timers).
 */
function guardedStore(limit = 5_000) {
  const memory = new MemoryStore();
  let reads = 0;
  let failNextWriteOf: string | undefined;
  const store: Store = Object.assign(Object.create(memory) as Store, {
    async get<T>(kind: string, id: string) {
      if (++reads > limit) throw new Error(`runaway: more than ${limit} store reads`);
      return memory.get<T>(kind, id);
    },
    async set(kind: string, id: string, value: unknown, ttlSeconds?: number) {
      if (kind === failNextWriteOf) {
        failNextWriteOf = undefined;
        throw new StoreUnavailableError('the store went away mid-sign-in');
      }
      return memory.set(kind, id, value, ttlSeconds);
    },
  });
  return {
    store,
    failNextWriteOf: (kind: string) => (failNextWriteOf = kind),
    resetReads: () => (reads = 0),
  };
}

describe('Accounts.signInWithIdentity: interrupted and overlapping sign-ins', () => {
  const identity = (subject: string, email = `${subject}@example.com`): UpstreamProfile => ({
    source: 'github',
    subject,
    username: `user-${subject}`,
    email,
    emailVerified: true,
  });

  it('does not lock an identity out after a first sign-in failed between its writes', async () => {
    const guarded = guardedStore();
    const accounts = new Accounts(guarded.store);
    // The identity is claimed, then the account record cannot be written (the store blipped, the process died).
    guarded.failNextWriteOf('User');
    await assert.rejects(accounts.signInWithIdentity(identity('7'), { linkByVerifiedEmail: false }), StoreUnavailableError);
    // The person tries again once the store is back: they get an account, not an endless loop.
    guarded.resetReads();
    const user = await accounts.signInWithIdentity(identity('7'), { linkByVerifiedEmail: false });
    assert.equal(user.identities?.[0]?.subject, '7');
    assert.equal((await accounts.findById(user.id))?.id, user.id);
  });

  it('keeps an account disabled when it is disabled while its owner signs in', async () => {
    const accounts = new Accounts(new MemoryStore());
    const user = await accounts.signInWithIdentity(identity('5'), { linkByVerifiedEmail: false });
    // The operator disables the account (`gatehouse users disable`) as the person signs in with GitHub.
    const [disabled] = await Promise.all([accounts.setDisabled(user.id, true), accounts.signInWithIdentity(identity('5'), { linkByVerifiedEmail: false })]);
    assert.equal(disabled.disabled, true, 'the operator was told it is disabled');
    assert.equal((await accounts.findById(user.id))?.disabled, true, 'and it stays disabled');
  });

  it('keeps both identities when two sign in to one account (linked by verified email) at the same moment', async () => {
    const accounts = new Accounts(new MemoryStore());
    const local = await accounts.create(SHARED_EMAIL, PASSWORD);
    const [a, b] = await Promise.all([
      accounts.signInWithIdentity(identity('1001', SHARED_EMAIL), { linkByVerifiedEmail: true }),
      accounts.signInWithIdentity(identity('1002', SHARED_EMAIL), { linkByVerifiedEmail: true }),
    ]);
    assert.equal(a.id, local.id);
    assert.equal(b.id, local.id);
    const linked = (await accounts.findById(local.id))?.identities?.map((i) => i.subject).sort();
    // A lost entry matters: `users remove` deletes the identity index only for listed identities, and
    // `github:<login>` finds accounts by them.
    assert.deepEqual(linked, ['1001', '1002'], 'both identities are listed on the account');
  });
});

describe('gatehouse users remove (federated)', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated();
    clientId = await registerApp(server);
  });
  after(() => server?.close());

  it('removes the account, drops its GitHub tokens and revokes them at GitHub', async () => {
    const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const sub = String(decodeJwt(accessToken)['sub']);
    assert.ok(await server.store.get('UpstreamTokens', `${sub}|github`));
    assert.equal(server.github.hasLiveToken('octocat'), true);
    const revocations = server.github.stats.revocations;

    // The CLI opens the same SQLite database (and key files) as the running server, as an operator's would.
    const output = await gatehouseCommand(['users', 'remove', 'github:octocat', '--data-dir', server.dataDir], {
      env: {
        GATEHOUSE_MODE: 'federated',
        GATEHOUSE_UPSTREAM: 'github',
        GATEHOUSE_UPSTREAM_ISSUER: server.github.url,
        GATEHOUSE_UPSTREAM_API_URL: server.github.apiUrl,
        GATEHOUSE_UPSTREAM_CLIENT_ID: GITHUB_CLIENT_ID,
        GATEHOUSE_UPSTREAM_CLIENT_SECRET: GITHUB_CLIENT_SECRET,
      },
    });
    assert.match(output, /removed octocat@github\.example/);

    assert.equal(await server.accounts.findById(sub), undefined, 'the account is gone');
    assert.equal(await server.store.get('UpstreamTokens', `${sub}|github`), undefined, 'its vault record is gone');
    assert.deepEqual(await server.store.members(`upstream-tokens:${sub}`), []);
    assert.equal(server.github.stats.revocations, revocations + 1, 'GitHub was told to revoke');
    assert.equal(server.github.hasLiveToken('octocat'), false);
    assert.equal((await callMcp(server, accessToken)).status, 401, 'its Gatehouse token no longer works');

    // Signing in with GitHub again makes a new, empty account.
    const again = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    assert.notEqual(decodeJwt(again.accessToken)['sub'], sub);
  });
});
