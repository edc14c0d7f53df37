import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

/** Sign in on the account page the way a browser form does (fetching the CSRF token first). */
async function signIn(server: EmbeddedTestServer, email: string, password: string): Promise<Response> {
  const page = await (await fetch(`${server.urls.issuer}/account`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
  return fetch(`${server.urls.issuer}/account/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
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

  it('stops guesses at one account after 20 attempts in 15 minutes, with a clear message and Retry-After', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await signIn(server, 'ada@example.com', `wrong password ${i}`)).status, 401);
    const blocked = await signIn(server, 'ada@example.com', PASSWORD);
    assert.equal(blocked.status, 429, 'even the right password waits: the guesser must not learn it');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.match(await blocked.text(), /Too many sign-in attempts\. Try again in \d+ minutes?\./);
    assert.equal((await signIn(server, 'bob@example.com', PASSWORD)).status, 303, 'other accounts are unaffected');
    assert.ok(server.logs.some((l) => l.includes('login.throttled')));
  });
});
