// Scenario 6: the embedded authorization server — refresh-token grants and code exchanges per second (SQLite and
// Redis), and password logins per second on one core.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { createLogger, embedded, gatehouse, MemoryStore, openStore, whoamiTool, type Store } from '../../src/index.js';
import { authorize, obtainTokens, type Browser } from '../../test/helpers/authorize.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';
const EMAIL = 'bench@example.com';
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://app.test/cb';

export interface AuthServerTarget {
  name: string;
  tokenUrl: string;
  clientId: string;
  redirectUri: string;
  /** One chain per worker; replaced after each round by the tokens the chains ended on. */
  refreshTokens: string[];
  /**
   * Fresh authorization codes with their PKCE verifiers, each from a real front-channel authorization by the
   * signed-in person (session and consent remembered, so each is one request), not yet redeemed.
   */
  mintCodes(count: number): Promise<Array<{ code: string; codeVerifier: string }>>;
  close(): Promise<void>;
}

/**
 * An embedded server on this store, one person, one public client, and `workers` refresh tokens obtained through
 * the browserless code flow. The per-address limits of the token endpoint (120/min) and of authorization requests
 * (30/min) are lifted: every request comes from 127.0.0.1, and the bench measures grant cost, not the limiter.
 */
export async function startAuthServerTarget(kind: 'sqlite' | 'redis', workers: number): Promise<AuthServerTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const prefix = `bench-${randomBytes(6).toString('hex')}`;
  const store: Store = kind === 'sqlite' ? await openStore(`sqlite:${join(dataDir, 'gatehouse.db')}`) : await openStore(REDIS_URL, { prefix });
  const server = gatehouse({
    name: `bench-${kind}`,
    auth: embedded({ dataDir, store, tokenRequestsPerMinute: 1_000_000_000, authorizationRequestsPerMinute: 1_000_000_000 }),
    logger: createLogger({ level: 'warn', destination: 'stderr' }),
  }).addTool(whoamiTool);
  const running = await server.listen(0, '127.0.0.1');
  const cleanup = async () => {
    await running.close();
    if (kind === 'redis') await deleteRedisPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Accounts(store).create(EMAIL, PASSWORD);
    const client = await new ClientRegistry(store).add({ name: 'Bench app', redirectUris: [REDIRECT] });
    const request = { server: running, clientId: client.client_id, redirectUri: REDIRECT, email: EMAIL, password: PASSWORD };
    const refreshTokens: string[] = [];
    let browser: Browser | undefined;
    for (let i = 0; i < workers; i++) {
      const tokens = await obtainTokens({ ...request, ...(browser && { browser }) });
      browser = tokens.flow.browser;
      refreshTokens.push(tokens.refreshToken);
    }
    const mintOne = async () => {
      const flow = await authorize({ ...request, ...(browser && { browser }) });
      const code = flow.params.get('code');
      if (!code || !flow.codeVerifier || flow.pages.length > 0) throw new Error(`expected a code without sign-in or consent: ${flow.location.href}`);
      return { code, codeVerifier: flow.codeVerifier };
    };
    const mintCodes = async (count: number) => {
      const codes: Array<{ code: string; codeVerifier: string }> = [];
      while (codes.length < count) codes.push(...(await Promise.all(Array.from({ length: Math.min(8, count - codes.length) }, mintOne))));
      return codes;
    };
    return {
      name: kind,
      tokenUrl: `${running.urls.issuer}/token`,
      clientId: client.client_id,
      redirectUri: REDIRECT,
      refreshTokens,
      mintCodes,
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Remove every key this run wrote (keys are `{prefix}:…`), so a shared Redis is left as it was found. */
async function deleteRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Password logins, one after another, so one core does the hashing (argon2id 19 MiB, t=2, p=1 — ARGON2_PARAMS).
 * Runs in the bench process with no load running beside it.
 */
export async function loginsPerSecond(seconds: number): Promise<{ logins: number; seconds: number; perSecond: number }> {
  const accounts = new Accounts(new MemoryStore());
  await accounts.create(EMAIL, PASSWORD);
  await accounts.authenticate(EMAIL, PASSWORD); // warm-up
  const started = performance.now();
  let logins = 0;
  while (performance.now() - started < seconds * 1000) {
    if (!(await accounts.authenticate(EMAIL, PASSWORD))) throw new Error('login refused');
    logins += 1;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { logins, seconds: elapsed, perSecond: logins / elapsed };
}
