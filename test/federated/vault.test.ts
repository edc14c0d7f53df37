import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { UpstreamError, type UpstreamSource, type UpstreamTokens } from '../../src/authserver/upstream/source.js';
import { UpstreamReauthenticationRequired, UpstreamVault } from '../../src/authserver/upstream/vault.js';
import { MemoryStore, openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/contract/store.js';
import { captureLogger } from '../helpers/server.js';
import { deleteKeysWithPrefixes, sharedRedis } from '../store/redis-fixture.js';

// How the vault lays out its records (part of what these tests check: nothing else in the store holds tokens).
const KIND = 'UpstreamTokens';
const LOCK = 'UpstreamRefreshLock';
const recordId = (userId: string, source: string) => `${userId}|${source}`;

const OLD_SECRET = 'cookie-secret-old-0123456789abcdef0123456789';
const NEW_SECRET = 'cookie-secret-new-fedcba9876543210fedcba9876';

const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-vault-test-'));
after(() => rmSync(tempRoot, { recursive: true, force: true }));

/**
 * An upstream source whose refresh and revoke the test controls and counts. `refresh` answers with the next
 * generation of tokens (access `<name>-access-<n>`, refresh `<name>-refresh-<n>`, valid for an hour) after
 * `delayMs`, unless `refreshWith` is replaced.
 */
function fakeSource(name = 'github', options: { delayMs?: number } = {}) {
  let generation = 0;
  const calls = { refresh: [] as string[], revoke: [] as UpstreamTokens[] };
  const control = {
    calls,
    refreshWith: async (_refreshToken: string): Promise<UpstreamTokens> => {
      const n = ++generation;
      await sleep(options.delayMs ?? 100);
      return { accessToken: `${name}-access-${n}`, refreshToken: `${name}-refresh-${n}`, expiresAt: Date.now() + 3600_000 };
    },
    revokeWith: async (_tokens: UpstreamTokens): Promise<void> => {},
  };
  const source: UpstreamSource = {
    name,
    label: `Fake ${name}`,
    async authorizationUrl() {
      return new URL('https://upstream.invalid/authorize');
    },
    async complete() {
      throw new UpstreamError('not used in these tests');
    },
    async refresh(refreshToken) {
      calls.refresh.push(refreshToken);
      return control.refreshWith(refreshToken);
    },
    async revoke(tokens) {
      calls.revoke.push(tokens);
      return control.revokeWith(tokens);
    },
  };
  return { source, ...control, control };
}

function vaultOn(store: Store, sources: UpstreamSource[], secrets: string[] = [OLD_SECRET]) {
  const { logger, lines } = captureLogger();
  const vault = new UpstreamVault(store, new Map(sources.map((s) => [s.name, s])), secrets, logger);
  return { vault, logs: lines };
}

/** Tokens that the vault considers expiring: inside its 60 s refresh margin, though not yet expired. */
const expiringTokens = (suffix = ''): UpstreamTokens => ({
  accessToken: `stale-access${suffix}`,
  refreshToken: `stale-refresh${suffix}`,
  expiresAt: Date.now() + 30_000,
});

async function storedSealed(store: Store, userId: string, source = 'github'): Promise<{ sealed: string; updatedAt: number }> {
  const record = await store.get<{ sealed: string; updatedAt: number }>(KIND, recordId(userId, source));
  assert.ok(record, `a vault record for ${userId}|${source}`);
  return record.value;
}

const keyIdOf = (sealed: string) => sealed.split('.')[1];

describe('UpstreamVault: storage', () => {
  it('returns the saved access token', async () => {
    const store = new MemoryStore();
    const { source } = fakeSource();
    const { vault } = vaultOn(store, [source]);
    await vault.save('user-1', 'github', { accessToken: 'gho_saved', refreshToken: 'ghr_saved', expiresAt: Date.now() + 3600_000 });
    assert.equal(await vault.accessToken('user-1', 'github'), 'gho_saved');
    assert.equal(await vault.has('user-1', 'github'), true);
    assert.equal(await vault.has('user-1', 'google'), false);
    assert.equal(await vault.has('user-2', 'github'), false);
  });

  it('asks for a new sign-in when there is no record', async () => {
    const { vault } = vaultOn(new MemoryStore(), [fakeSource().source]);
    await assert.rejects(vault.accessToken('nobody', 'github'), UpstreamReauthenticationRequired);
  });

  it('stores neither the access nor the refresh token in the clear (memory store record)', async () => {
    const store = new MemoryStore();
    const { vault } = vaultOn(store, [fakeSource().source]);
    await vault.save('user-1', 'github', {
      accessToken: 'gho_secretAccess0001',
      refreshToken: 'ghr_secretRefresh0001',
      expiresAt: Date.now() + 3600_000,
      scope: 'read:user',
    });
    const record = await store.get(KIND, recordId('user-1', 'github'));
    const raw = JSON.stringify(record);
    assert.match(raw, /"sealed":"k1\./);
    assert.ok(!raw.includes('gho_secretAccess0001'), 'no access token in the record');
    assert.ok(!raw.includes('ghr_secretRefresh0001'), 'no refresh token in the record');
    assert.ok(!raw.includes('read:user'), 'the whole token set is sealed, scope included');
    // Nor anywhere else in the store.
    for await (const entry of store.entries()) {
      const text = JSON.stringify(entry);
      assert.ok(!text.includes('gho_secretAccess0001') && !text.includes('ghr_secretRefresh0001'), `no token in ${text}`);
    }
  });

  it('stores neither token in the SQLite database file', async () => {
    const path = join(tempRoot, `vault-${randomUUID()}.db`);
    const store = await openStore(`sqlite:${path}`);
    const { vault } = vaultOn(store, [fakeSource().source]);
    const access = `gho_${randomUUID().replace(/-/g, '')}`;
    const refresh = `ghr_${randomUUID().replace(/-/g, '')}`;
    await vault.save('user-1', 'github', { accessToken: access, refreshToken: refresh, expiresAt: Date.now() + 3600_000 });
    assert.equal(await vault.accessToken('user-1', 'github'), access);
    const sealed = (await storedSealed(store, 'user-1')).sealed;
    await store.close();
    // Every file SQLite wrote (the WAL is checkpointed on close, but read it too if it is still there).
    const bytes = Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file)).map((file) => readFileSync(file)));
    assert.ok(bytes.includes(Buffer.from(sealed)), 'the sealed record is in the file (we are looking at the right bytes)');
    assert.ok(!bytes.includes(Buffer.from(access)), 'no access token in the database file');
    assert.ok(!bytes.includes(Buffer.from(refresh)), 'no refresh token in the database file');
  });

  it('does not open a record copied to another person', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault, logs } = vaultOn(store, [fake.source]);
    await vault.save('victim', 'github', { accessToken: 'gho_victim', refreshToken: 'ghr_victim', expiresAt: Date.now() + 3600_000 });
    const record = await store.get(KIND, recordId('victim', 'github'));
    await store.set(KIND, recordId('attacker', 'github'), record!.value);
    await assert.rejects(vault.accessToken('attacker', 'github'), UpstreamReauthenticationRequired);
    // Nor under another source of the same person.
    await store.set(KIND, recordId('victim', 'google'), record!.value);
    await assert.rejects(vault.accessToken('victim', 'google'), UpstreamReauthenticationRequired);
    assert.equal(fake.calls.refresh.length, 0);
    assert.ok(
      logs.some((l) => l.includes('upstream.vault_unreadable')),
      'the unreadable record is logged',
    );
    assert.ok(!logs.join('\n').includes('gho_victim'));
    // The original still opens.
    assert.equal(await vault.accessToken('victim', 'github'), 'gho_victim');
  });
});

describe('UpstreamVault: refresh', () => {
  it('returns a token that does not expire without refreshing', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault } = vaultOn(store, [fake.source]);
    await vault.save('user-1', 'github', { accessToken: 'gho_forever' });
    await vault.save('user-2', 'github', { accessToken: 'gho_later', refreshToken: 'ghr_later', expiresAt: Date.now() + 120_000 });
    const tokens = await Promise.all([...Array(10)].map((_, i) => vault.accessToken(i % 2 ? 'user-1' : 'user-2', 'github')));
    assert.deepEqual(
      tokens,
      [...Array(10)].map((_, i) => (i % 2 ? 'gho_forever' : 'gho_later')),
    );
    assert.equal(fake.calls.refresh.length, 0);
  });

  it('refreshes an expiring token once for 20 concurrent callers, and all get the new token', async () => {
    const store = new MemoryStore();
    const fake = fakeSource('github', { delayMs: 100 });
    const { vault, logs } = vaultOn(store, [fake.source]);
    await vault.save('user-1', 'github', expiringTokens());
    const tokens = await Promise.all([...Array(20)].map(() => vault.accessToken('user-1', 'github')));
    assert.deepEqual(tokens, Array(20).fill('github-access-1'));
    assert.deepEqual(fake.calls.refresh, ['stale-refresh'], 'one refresh, with the stored refresh token');
    // The fresh set was stored (rotated refresh token included) and the lock released.
    assert.equal(await vault.accessToken('user-1', 'github'), 'github-access-1');
    assert.equal(fake.calls.refresh.length, 1, 'the fresh token is not refreshed again');
    assert.equal(await store.get(LOCK, recordId('user-1', 'github')), undefined, 'the refresh lock is released');
    assert.equal(logs.filter((l) => l.includes('upstream.refreshed')).length, 1);
  });

  it('stores the rotated refresh token and uses it for the next refresh', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    let n = 0;
    // A provider whose tokens live 30 s: each is inside the refresh margin as soon as it is issued.
    fake.control.refreshWith = async () => {
      n += 1;
      return { accessToken: `short-access-${n}`, refreshToken: `short-refresh-${n}`, expiresAt: Date.now() + 30_000 };
    };
    const { vault } = vaultOn(store, [fake.source]);
    await vault.save('user-1', 'github', expiringTokens());
    assert.equal(await vault.accessToken('user-1', 'github'), 'short-access-1');
    assert.equal(await vault.accessToken('user-1', 'github'), 'short-access-2');
    assert.equal(await vault.accessToken('user-1', 'github'), 'short-access-3');
    assert.deepEqual(fake.calls.refresh, ['stale-refresh', 'short-refresh-1', 'short-refresh-2']);
  });

  it('refreshes tokens of different people independently', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault } = vaultOn(store, [fake.source]);
    await vault.save('user-1', 'github', expiringTokens('-1'));
    await vault.save('user-2', 'github', expiringTokens('-2'));
    const tokens = await Promise.all([...Array(10)].map((_, i) => vault.accessToken(`user-${(i % 2) + 1}`, 'github')));
    assert.equal(new Set(tokens).size, 2, 'each person got their own fresh token');
    assert.deepEqual(fake.calls.refresh.sort(), ['stale-refresh-1', 'stale-refresh-2']);
  });

  it('refreshes once across two replicas sharing one Redis store (20 concurrent calls split across both)', async () => {
    const redis = await sharedRedis();
    const prefix = `test-${randomUUID()}`;
    const storeA = await openStore(redis.url, { prefix });
    const storeB = await openStore(redis.url, { prefix });
    try {
      // One provider, two replicas each with its own vault (own in-process single-flight map), store connection and source object.
      let refreshes = 0;
      const fakeA = fakeSource('github');
      const fakeB = fakeSource('github');
      const shared = async (): Promise<UpstreamTokens> => {
        refreshes += 1;
        await sleep(300);
        return { accessToken: `fresh-access-${refreshes}`, refreshToken: `fresh-refresh-${refreshes}`, expiresAt: Date.now() + 3600_000 };
      };
      fakeA.control.refreshWith = shared;
      fakeB.control.refreshWith = shared;
      const a = vaultOn(storeA, [fakeA.source]).vault;
      const b = vaultOn(storeB, [fakeB.source]).vault;
      await a.save('user-1', 'github', expiringTokens());
      // The record was written a moment ago; make sure the fresh one cannot carry the same millisecond.
      await sleep(5);
      const tokens = await Promise.all([...Array(20)].map((_, i) => (i % 2 ? a : b).accessToken('user-1', 'github')));
      assert.equal(refreshes, 1, 'exactly one refresh at the provider');
      assert.deepEqual(tokens, Array(20).fill('fresh-access-1'));
      assert.equal(fakeA.calls.refresh.length + fakeB.calls.refresh.length, 1);
      assert.equal(await storeA.get(LOCK, recordId('user-1', 'github')), undefined, 'the lock is released');
      assert.equal(await b.accessToken('user-1', 'github'), 'fresh-access-1');
      assert.equal(await a.accessToken('user-1', 'github'), 'fresh-access-1');
      assert.equal(refreshes, 1);
    } finally {
      await storeA.close();
      await storeB.close();
      await deleteKeysWithPrefixes(redis.url, [prefix]);
      await redis.release();
    }
  });

  it('drops the record and asks for a new sign-in when the provider refuses the refresh (invalid_grant)', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    fake.control.refreshWith = async () => {
      await sleep(50);
      throw new UpstreamError('GitHub refused the token refresh (invalid_grant)', 'invalid_grant');
    };
    const { vault } = vaultOn(store, [fake.source]);
    await vault.save('user-1', 'github', expiringTokens());
    const results = await Promise.allSettled([...Array(5)].map(() => vault.accessToken('user-1', 'github')));
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      assert.ok((result as PromiseRejectedResult).reason instanceof UpstreamReauthenticationRequired, String((result as PromiseRejectedResult).reason));
    }
    assert.equal(fake.calls.refresh.length, 1);
    assert.equal(await store.get(KIND, recordId('user-1', 'github')), undefined, 'the record is gone');
    assert.equal(await vault.has('user-1', 'github'), false);
    assert.equal(await store.get(LOCK, recordId('user-1', 'github')), undefined, 'the lock is released');
    await assert.rejects(vault.accessToken('user-1', 'github'), UpstreamReauthenticationRequired);
    assert.equal(fake.calls.refresh.length, 1, 'no second refresh attempt with the dead refresh token');
  });

  it('keeps the record when the refresh fails for another reason (the provider is down), and tries again later', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault } = vaultOn(store, [fake.source]);
    const working = fake.control.refreshWith;
    fake.control.refreshWith = async () => {
      throw new UpstreamError('GitHub did not answer the token refresh in time');
    };
    await vault.save('user-1', 'github', expiringTokens());
    await assert.rejects(
      vault.accessToken('user-1', 'github'),
      (error: Error) => error instanceof UpstreamError && !(error instanceof UpstreamReauthenticationRequired),
    );
    assert.equal(await vault.has('user-1', 'github'), true);
    fake.control.refreshWith = working;
    assert.equal(await vault.accessToken('user-1', 'github'), 'github-access-1');
    assert.deepEqual(fake.calls.refresh, ['stale-refresh', 'stale-refresh']);
  });

  it('uses an expiring token without a refresh token until it expires, then asks for a new sign-in', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault } = vaultOn(store, [fake.source]);
    await vault.save('user-1', 'github', { accessToken: 'gho_short', expiresAt: Date.now() + 30_000 });
    assert.equal(await vault.accessToken('user-1', 'github'), 'gho_short');
    await vault.save('user-1', 'github', { accessToken: 'gho_dead', expiresAt: Date.now() - 1000 });
    await assert.rejects(vault.accessToken('user-1', 'github'), UpstreamReauthenticationRequired);
    assert.equal(fake.calls.refresh.length, 0);
  });
});

describe('UpstreamVault: key rotation', () => {
  it('opens records sealed under the previous key and seals them again under the new one', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault } = vaultOn(store, [fake.source], [OLD_SECRET]);
    await vault.save('user-1', 'github', { accessToken: 'gho_before_rotation', refreshToken: 'ghr_x', expiresAt: Date.now() + 3600_000 });
    const before = await storedSealed(store, 'user-1');
    const oldKid = keyIdOf(before.sealed);

    vault.useKeys([NEW_SECRET, OLD_SECRET]);
    // A record saved now is sealed under the new key: that is the id the old record must move to.
    await vault.save('someone-else', 'github', { accessToken: 'gho_other' });
    const newKid = keyIdOf((await storedSealed(store, 'someone-else')).sealed);
    assert.notEqual(newKid, oldKid);

    assert.equal(await vault.accessToken('user-1', 'github'), 'gho_before_rotation');
    const after = await storedSealed(store, 'user-1');
    assert.equal(keyIdOf(after.sealed), newKid, 'sealed again under the new key on use');
    assert.equal(after.updatedAt, before.updatedAt, 're-sealing is not a change of tokens');
    assert.equal(fake.calls.refresh.length, 0);

    // Once the old secret is retired, the re-sealed record still opens.
    const { vault: newOnly } = vaultOn(store, [fake.source], [NEW_SECRET]);
    assert.equal(await newOnly.accessToken('user-1', 'github'), 'gho_before_rotation');
  });

  it('fails closed for records sealed under a key that is no longer kept', async () => {
    const store = new MemoryStore();
    const fake = fakeSource();
    const { vault: old } = vaultOn(store, [fake.source], [OLD_SECRET]);
    await old.save('user-1', 'github', { accessToken: 'gho_unreachable', refreshToken: 'ghr_unreachable', expiresAt: Date.now() + 30_000 });
    const { vault, logs } = vaultOn(store, [fake.source], [NEW_SECRET]);
    await assert.rejects(vault.accessToken('user-1', 'github'), UpstreamReauthenticationRequired);
    assert.equal(fake.calls.refresh.length, 0, 'no refresh with a token it cannot read');
    const warning = logs.find((l) => l.includes('upstream.vault_unreadable'));
    assert.ok(warning, 'logged');
    assert.match(warning, /no longer kept/);
    assert.ok(!logs.join('\n').includes('gho_unreachable'));
    // The same happens after useKeys drops the old secret from a running vault.
    old.useKeys([NEW_SECRET]);
    await assert.rejects(old.accessToken('user-1', 'github'), UpstreamReauthenticationRequired);
  });

  it('does not put back old tokens over a set saved while it was re-sealing them', async () => {
    // A tool call reads a record sealed under the previous key; before it writes the re-sealed copy, the person
    // signs in again (or another replica refreshes) and new tokens are saved. The re-seal must not resurrect the
    // old set: its refresh token may already be spent, which would force the person to sign in yet again.
    const memory = new MemoryStore();
    let pauseNextVaultRead: { reached: () => void; resume: Promise<void> } | undefined;
    const store: Store = Object.assign(Object.create(memory) as Store, {
      async get<T>(kind: string, id: string) {
        const record = await memory.get<T>(kind, id);
        const pause = kind === KIND ? pauseNextVaultRead : undefined;
        if (pause) {
          pauseNextVaultRead = undefined;
          pause.reached();
          await pause.resume;
        }
        return record;
      },
    });
    const fake = fakeSource();
    const { vault: old } = vaultOn(store, [fake.source], [OLD_SECRET]);
    await old.save('user-1', 'github', { accessToken: 'gho_old', refreshToken: 'ghr_old', expiresAt: Date.now() + 3600_000 });
    const { vault: rotated } = vaultOn(store, [fake.source], [NEW_SECRET, OLD_SECRET]);

    let resume!: () => void;
    const reached = new Promise<void>((resolve) => {
      pauseNextVaultRead = { reached: resolve, resume: new Promise<void>((r) => (resume = r)) };
    });
    const reading = rotated.accessToken('user-1', 'github');
    await reached;
    await rotated.save('user-1', 'github', { accessToken: 'gho_new', refreshToken: 'ghr_new', expiresAt: Date.now() + 3600_000 });
    resume();
    await reading;
    assert.equal(await rotated.accessToken('user-1', 'github'), 'gho_new', 'the newer token set survives');
  });
});

describe('UpstreamVault: drop', () => {
  it("removes every source's record and revokes each token set at its provider", async () => {
    const store = new MemoryStore();
    const github = fakeSource('github');
    const google = fakeSource('google');
    const { vault } = vaultOn(store, [github.source, google.source]);
    const githubTokens: UpstreamTokens = { accessToken: 'gho_drop', refreshToken: 'ghr_drop', expiresAt: Date.now() + 3600_000 };
    const googleTokens: UpstreamTokens = { accessToken: 'ya29.drop' };
    await vault.save('user-1', 'github', githubTokens);
    await vault.save('user-1', 'google', googleTokens);
    await vault.save('user-2', 'github', { accessToken: 'gho_keep' });

    await vault.drop('user-1');
    assert.equal(await vault.has('user-1', 'github'), false);
    assert.equal(await vault.has('user-1', 'google'), false);
    assert.deepEqual(github.calls.revoke, [githubTokens]);
    assert.deepEqual(google.calls.revoke, [googleTokens]);
    await assert.rejects(vault.accessToken('user-1', 'github'), UpstreamReauthenticationRequired);
    assert.deepEqual(await store.members('upstream-tokens:user-1'), []);
    // Someone else's tokens are untouched.
    assert.equal(await vault.accessToken('user-2', 'github'), 'gho_keep');
  });

  it('drops one source only when asked to', async () => {
    const store = new MemoryStore();
    const github = fakeSource('github');
    const google = fakeSource('google');
    const { vault } = vaultOn(store, [github.source, google.source]);
    await vault.save('user-1', 'github', { accessToken: 'gho_one' });
    await vault.save('user-1', 'google', { accessToken: 'ya29.one' });
    await vault.drop('user-1', 'google');
    assert.equal(await vault.has('user-1', 'google'), false);
    assert.equal(await vault.accessToken('user-1', 'github'), 'gho_one');
    assert.equal(google.calls.revoke.length, 1);
    assert.equal(github.calls.revoke.length, 0);
  });

  it('logs a revocation that fails instead of throwing, and still forgets the tokens', async () => {
    const store = new MemoryStore();
    const github = fakeSource('github');
    const google = fakeSource('google');
    github.control.revokeWith = async () => {
      throw new UpstreamError('GitHub answered 500 to the revocation');
    };
    const { vault, logs } = vaultOn(store, [github.source, google.source]);
    await vault.save('user-1', 'github', { accessToken: 'gho_revoke_fails' });
    await vault.save('user-1', 'google', { accessToken: 'ya29.revoke_ok' });
    await vault.drop('user-1');
    assert.equal(await vault.has('user-1', 'github'), false);
    assert.equal(await vault.has('user-1', 'google'), false);
    assert.equal(github.calls.revoke.length, 1);
    assert.equal(google.calls.revoke.length, 1, 'a failing provider does not stop the others from being told');
    const warning = logs.find((l) => l.includes('upstream.revoke_failed'));
    assert.ok(warning, 'the failure is logged');
    assert.match(warning, /"source":"github"/);
    assert.ok(!logs.join('\n').includes('gho_revoke_fails'), 'without the token');
  });

  it('drops records it cannot open (and of sources no longer configured) without revoking', async () => {
    const store = new MemoryStore();
    const github = fakeSource('github');
    const { vault: old } = vaultOn(store, [github.source], [OLD_SECRET]);
    await old.save('user-1', 'github', { accessToken: 'gho_sealed_old' });
    await old.save('user-1', 'gitlab', { accessToken: 'glpat_unconfigured' });
    const { vault } = vaultOn(store, [github.source], [NEW_SECRET]);
    await vault.drop('user-1');
    assert.equal(await store.get(KIND, recordId('user-1', 'github')), undefined);
    assert.equal(await store.get(KIND, recordId('user-1', 'gitlab')), undefined);
    assert.equal(github.calls.revoke.length, 0, 'nothing to revoke with: the tokens could not be read');
  });

  it('is a no-op for a person without tokens', async () => {
    const fake = fakeSource();
    const { vault } = vaultOn(new MemoryStore(), [fake.source]);
    await vault.drop('nobody');
    assert.equal(fake.calls.revoke.length, 0);
  });
});
