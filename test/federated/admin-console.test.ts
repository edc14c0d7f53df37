import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PageStep } from '../helpers/authorize.js';
import { federatedBrowser, formFields, isGitHubScreen, startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';
import { PASSWORD } from '../helpers/embedded-server.js';

const textOf = (step: PageStep) => step.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('the admin console in federated mode', () => {
  let server: FederatedTestServer;
  before(async () => {
    server = await startGitHubFederated();
  });
  after(() => server.close());

  it('an admin signs in through GitHub; with no password to check, a change points at the CLI and nothing changes', async () => {
    const browser = federatedBrowser(server);
    const signIn = (await browser.navigate(`${server.urls.issuer}/admin`)) as PageStep;
    const action = /<form method="post" action="([^"]*\/admin\/upstream)"/.exec(signIn.body)?.[1];
    assert.ok(action, 'the console offers GitHub');
    let step = await browser.post(new URL(action, signIn.url), { csrf: signIn.form!.csrf, source: 'github' });
    if (isGitHubScreen(step))
      step = await browser.post(step.form!.action, { ...formFields(step.body), login: 'octocat', decision: 'authorize' }, { origin: step.url.origin });
    assert.equal(step.kind === 'page' && step.url.pathname, '/account', 'the sign-in lands on the account page');

    const octocat = await server.accounts.resolve('github:octocat');
    assert.equal(((await browser.navigate(`${server.urls.issuer}/admin/people`)) as PageStep).status, 403, 'not an admin yet');
    await server.accounts.setAdmin(octocat.id, true);
    const people = (await browser.navigate(`${server.urls.issuer}/admin/people`)) as PageStep;
    assert.equal(people.status, 200);

    const other = await server.accounts.create('bea@example.com', PASSWORD);
    const csrf = /name="csrf" value="([^"]+)"/.exec(people.body)![1]!;
    const asked = (await browser.post(`${server.urls.issuer}/admin/people/${other.id}/disable`, { csrf })) as PageStep;
    assert.equal(asked.status, 403);
    assert.match(textOf(asked), /signs in only through an identity provider/);
    assert.match(textOf(asked), /gatehouse users passwd/);
    assert.equal((await server.accounts.findById(other.id))?.disabled, false);
  });
});
