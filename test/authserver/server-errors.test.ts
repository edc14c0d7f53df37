import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { authorizationUrl, Browser } from '../helpers/authorize.js';
import { startAttackServer, type AttackServer } from './attacks/fixture.js';

/** A fault of the server is a 5xx, never a 4xx that tells the client its request was wrong. */
describe('server faults on the authorization server pages', () => {
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer();
  });
  after(async () => {
    await server?.close();
  });

  it('a damaged client record in the store: the authorization page answers 500, not 400', async () => {
    const damaged = await server.clients.add({ name: 'Damaged record', redirectUris: [server.flow.redirectUri] });
    // Reading the record fails inside the engine, with the store itself reachable: the server's fault.
    const db = new DatabaseSync(join(server.dataDir, 'gatehouse.db'));
    try {
      db.prepare("UPDATE records SET value = '{damaged' WHERE kind = 'Client' AND id = ?").run(damaged.client_id);
    } finally {
      db.close();
    }
    const step = await new Browser(server).navigate(authorizationUrl({ ...server.flow, clientId: damaged.client_id }).url);
    assert.equal(step.kind, 'page');
    assert.equal(step.status, 500);
    assert.match(step.kind === 'page' ? step.body : '', /server_error/);
  });

  it('a bad request is still a 400', async () => {
    const step = await new Browser(server).navigate(authorizationUrl({ ...server.flow, clientId: 'no-such-client' }).url);
    assert.equal(step.kind, 'page');
    assert.equal(step.status, 400);
  });
});
