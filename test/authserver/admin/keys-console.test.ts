import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { adminBrowser, startWithAdmin, auditEvents, page, post, textOf } from './console-fixture.js';

const jwksKids = async (server: EmbeddedTestServer) =>
  ((await (await fetch(`${server.urls.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

describe('the admin console: keys', () => {
  let server: EmbeddedTestServer;
  let adminId: string;
  before(async () => {
    ({ server, adminId } = await startWithAdmin({ keyReloadSeconds: 1 }));
  });
  after(async () => server?.close());

  it('shows the current generation and rotates it, on the record, and the new keys are published', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const keys = page(await browser.navigate(`${server.urls.issuer}/admin/keys`));
    assert.equal(keys.status, 200);
    const before = await jwksKids(server);
    for (const kid of before) assert.ok(keys.body.includes(kid), `${kid} listed`);
    assert.equal(textOf(keys).match(/signs new tokens/g)?.length, 2, 'one signing key per algorithm');

    const rotated = page(await post(browser, server, '/admin/keys/rotate', { csrf }));
    assert.equal(rotated.status, 200);
    assert.match(textOf(rotated), /New signing keys .* are published; they sign from/);
    assert.match(textOf(rotated), /published; signs from/);
    const event = (await auditEvents(server)).find((e) => e.type === 'keys.rotated');
    assert.equal(event?.actor, adminId);

    // The server reloads keys every second; wait until it publishes the new generation.
    let kids = await jwksKids(server);
    for (let i = 0; i < 100 && kids.length === before.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      kids = await jwksKids(server);
    }
    assert.equal(kids.length, before.length * 2, 'the new generation is published beside the old one');
  });
});
