import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { LoginThrottle } from '../../src/authserver/people/login-throttle.js';
import { MemoryStore } from '../../src/store/memory.js';

/** Sign in on the account page the way a browser form does (fetching the CSRF token, bound to the browser's cookie, first). */
async function signIn(server: EmbeddedTestServer, email: string, password: string): Promise<Response> {
  const response = await fetch(`${server.urls.issuer}/account`);
  const page = await response.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return fetch(`${server.urls.issuer}/account/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ csrf, email, password }),
    redirect: 'manual',
  });
}

describe('password guessing', () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded();
    await server.accounts.create('ada@example.com', PASSWORD);
    await server.accounts.create('bob@example.com', PASSWORD);
  });
  after(() => server.close());

  it('makes each guess after the third wait longer (2 s, 4 s, …), with a clear message and Retry-After', async () => {
    for (let i = 0; i < 4; i++) assert.equal((await signIn(server, 'ada@example.com', `wrong password ${i}`)).status, 401);
    const first = await signIn(server, 'ada@example.com', PASSWORD);
    assert.equal(first.status, 429, 'even the right password waits: the guesser must not learn it');
    assert.equal(first.headers.get('retry-after'), '2');
    assert.match(await first.text(), /Too many failed sign-in attempts\. Try again in 2 seconds\./);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal((await signIn(server, 'ada@example.com', 'wrong password 5')).status, 401);
    const second = await signIn(server, 'ada@example.com', PASSWORD);
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '4', 'the delay doubled');
    assert.equal((await signIn(server, 'bob@example.com', PASSWORD)).status, 303, 'other accounts are unaffected');
    assert.ok(server.logs.some((l) => l.includes('login.throttled')));
  });

  it('forgets the delay after a successful sign-in', async () => {
    for (let i = 0; i < 4; i++) await signIn(server, 'bob@example.com', `wrong password ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal((await signIn(server, 'bob@example.com', PASSWORD)).status, 303);
    assert.equal((await signIn(server, 'bob@example.com', PASSWORD)).status, 303, 'no wait after the right password');
  });
});

describe('sign-in attempt caps', () => {
  it('allows at most 20 attempts per account and 100 per address in the window, shared through the store', async () => {
    const store = new MemoryStore();
    const throttle = new LoginThrottle(store);
    const other = new LoginThrottle(store); // another replica on the same store
    for (let i = 0; i < 20; i++) assert.equal(await (i % 2 ? other : throttle).attempt('ada@example.com', `10.0.0.${i}`), undefined);
    const wait = await throttle.attempt('ada@example.com', '10.0.1.1');
    assert.ok(wait !== undefined && wait > 60 && wait <= 900, `waits for the window: ${wait}`);
    for (let i = 0; i < 100; i++) assert.equal(await other.attempt(`person${i}@example.com`, '192.0.2.7'), undefined);
    assert.ok((await throttle.attempt('someone@example.com', '192.0.2.7')) !== undefined, 'the 101st attempt from one address waits');
    assert.equal(await throttle.attempt('someone@example.com', '192.0.2.8'), undefined, 'another address is unaffected');
  });
});
