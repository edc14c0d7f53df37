import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PageStep } from '../helpers/authorize.js';
import { startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';
import { APP_REDIRECT, EMAIL, openAuthorization, PASSWORD, startAttackServer, type AttackServer } from './attacks/fixture.js';

/** The scope list of a consent page, as its items read. */
function scopeItems(step: PageStep): string[] {
  const list = /<ul class="scopes">([\s\S]*?)<\/ul>/.exec(step.body)?.[1];
  assert.ok(list, 'the page lists scopes');
  return [...list.matchAll(/<li><strong>(.*?)<\/strong> <code class="muted">(.*?)<\/code><\/li>/g)].map(([, description, name]) => `${name}: ${description}`);
}

describe('the words for a scope fit how people sign in', () => {
  let embedded: AttackServer;
  let federated: FederatedTestServer;
  before(async () => {
    // `upstreams: []`: embedded, with accounts of its own, whichever mode the test matrix runs.
    embedded = await startAttackServer({ upstreams: [] });
    federated = await startGitHubFederated();
  });
  after(async () => {
    await embedded?.close();
    await federated?.close();
  });

  it("embedded: whoami gives the account's own identity; there is no sign-in provider", async () => {
    const { step: login, browser } = await openAuthorization(embedded.flow);
    const consent = (await browser.submit(login as PageStep, { email: EMAIL, password: PASSWORD })) as PageStep;
    assert.deepEqual(scopeItems(consent), ['read:whoami: See who you are: your account&#39;s id and email, and the access you granted']);
  });

  it('federated: whoami also gives the sign-in provider identity, as before', async () => {
    const app = await federated.clients.add({ name: 'Scope wording app', redirectUris: [APP_REDIRECT] });
    const { step } = await openAuthorization({ server: federated, clientId: app.client_id, redirectUri: APP_REDIRECT });
    assert.deepEqual(scopeItems(step as PageStep), [
      'read:whoami: See who you are: your account id, email, sign-in provider identity and the access you granted',
    ]);
  });
});
