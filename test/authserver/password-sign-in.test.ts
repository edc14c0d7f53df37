import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { AuditLog } from '../../src/audit/audit-log.js';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { LoginThrottle } from '../../src/authserver/people/login-throttle.js';
import { passwordSignIn, WrongCredentialsError } from '../../src/authserver/flows/password-sign-in.js';
import { MemoryStore } from '../../src/store/memory.js';
import { TooManyRequestsError } from '../../src/util/http-error.js';

const EMAIL = 'ada@example.com';
const PASSWORD = 'correct horse battery staple';

async function setUp(limits = { perAccount: 20, perAddress: 100, windowSeconds: 900 }) {
  const store = new MemoryStore();
  const accounts = new Accounts(store);
  const user = await accounts.create(EMAIL, PASSWORD);
  const audit = new AuditLog(store, pino({ level: 'silent' }));
  return { user, audit, signIn: passwordSignIn({ accounts, throttle: new LoginThrottle(store, limits), audit }) };
}

describe('password sign-in (interaction login and account page alike)', () => {
  it('signs in with the right password and records it', async () => {
    const { user, audit, signIn } = await setUp();
    const signedIn = await signIn({ email: EMAIL, password: PASSWORD, address: '192.0.2.1', clientId: 'app' });
    assert.equal(signedIn.id, user.id);
    const [event] = await audit.list({ type: 'login.succeeded' });
    assert.deepEqual([event?.subject, event?.clientId, event?.method, event?.address, event?.outcome], [user.id, 'app', 'password', '192.0.2.1', 'success']);
  });

  it('refuses a wrong password with 401 and records the failure', async () => {
    const { audit, signIn } = await setUp();
    await assert.rejects(signIn({ email: EMAIL, password: 'wrong', address: '192.0.2.1', reason: 'account page' }), (error: unknown) => {
      assert.ok(error instanceof WrongCredentialsError);
      assert.deepEqual([error.status, error.description], [401, 'Wrong email or password.']);
      return true;
    });
    const [event] = await audit.list({ type: 'login.failed' });
    assert.deepEqual([event?.outcome, event?.reason], ['failure', 'account page']);
  });

  it('over the limit, refuses with 429 and Retry-After before checking the password, even the right one', async () => {
    const { audit, signIn } = await setUp({ perAccount: 1, perAddress: 100, windowSeconds: 900 });
    await assert.rejects(signIn({ email: EMAIL, password: 'wrong', address: '192.0.2.1' }), WrongCredentialsError);
    await assert.rejects(signIn({ email: EMAIL, password: PASSWORD, address: '192.0.2.1' }), (error: unknown) => {
      assert.ok(error instanceof TooManyRequestsError);
      assert.equal(error.status, 429);
      assert.ok(error.retryAfter !== undefined && error.retryAfter > 0);
      assert.match(error.description, /^Too many .*sign-in attempts/);
      return true;
    });
    assert.equal((await audit.list({ type: 'login.throttled' })).length, 1);
    assert.equal((await audit.list({ type: 'login.succeeded' })).length, 0);
  });
});
