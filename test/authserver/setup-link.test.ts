import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser, type PageStep } from '../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

/** The page's text as a person reads it, without the markup. */
const textOf = (step: PageStep) =>
  step.body
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

describe('a setup link that no longer works says why and what to do', () => {
  let server: EmbeddedTestServer;
  let link: string;
  before(async () => {
    server = await startEmbedded();
    link = server.notices.map((n) => /(http\S+\/setup\?token=\S+)/.exec(n)?.[1]).find(Boolean)!;
    assert.ok(link, 'a setup link is printed');
  });
  after(async () => server?.close());

  it('before any account: a wrong link is not valid, and the operator restarts or runs `gatehouse users add`', async () => {
    const step = (await new Browser(server).navigate(`${server.urls.issuer}/setup?token=not-the-token`)) as PageStep;
    assert.equal(step.status, 404);
    const text = textOf(step);
    assert.match(text, /This setup link does not work/);
    assert.match(text, /gatehouse users add &lt;email&gt;/);
    assert.doesNotMatch(step.body, /`/, 'no markdown in HTML');
    assert.doesNotMatch(text, /try again from the app/);
  });

  it('once used: says it was already used, links to the account page, and names the command for another account', async () => {
    const browser = new Browser(server);
    const setup = (await browser.navigate(link)) as PageStep;
    assert.equal(setup.status, 200);
    await browser.submit(setup, { email: 'first@example.com', password: PASSWORD });
    assert.equal((await server.accounts.list()).length, 1);

    const reused = (await new Browser(server).navigate(link)) as PageStep;
    assert.equal(reused.status, 404);
    const text = textOf(reused);
    assert.match(text, /This setup link was already used/);
    assert.match(reused.body, /<a href="\/account">your account page<\/a>/);
    assert.match(reused.body, /<code>gatehouse users add &lt;email&gt;<\/code>/);
    assert.doesNotMatch(reused.body, /`/, 'no markdown in HTML');
    assert.doesNotMatch(text, /try again from the app/);
    assert.match(reused.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(reused.headers.get('cache-control'), 'no-store');
  });
});
