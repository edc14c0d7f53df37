import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { nativeClientMetadata, registerClient } from '../helpers/authorize.js';
import { addUser, gatehouseCommand, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';

/** The lines of a listing, and where each header column starts (its cells must start there too). */
function columns(output: string, header: readonly string[]) {
  const lines = output.trimEnd().split('\n');
  const starts = header.map((title) => lines[0]!.indexOf(title));
  assert.deepEqual(
    starts.map((s) => s >= 0),
    header.map(() => true),
    `header names every column: ${lines[0]}`,
  );
  const rows = lines.slice(1).map((line) => starts.map((start, i) => line.slice(start, starts[i + 1]).trim()));
  for (const line of lines.slice(1)) {
    for (const start of starts.slice(1)) assert.notEqual(line[start - 1], undefined, `"${line}" reaches column ${start}`);
    for (const start of starts.slice(1)) assert.equal(line[start - 1], ' ', `a column starts after a space in "${line}"`);
  }
  return rows;
}

describe('listings people read: a header row and aligned columns (--json unchanged)', () => {
  it('users list', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-listings-users-'));
    const data = ['--data-dir', dataDir];
    assert.equal(await gatehouseCommand(['users', 'list', ...data]), 'no accounts\n');
    await addUser(dataDir, 'ada@example.com', 'correct horse battery staple');
    await addUser(dataDir, 'grace.hopper@example.com', 'correct horse battery staple');
    await gatehouseCommand(['users', 'disable', 'ada@example.com', ...data]);

    const json = JSON.parse(await gatehouseCommand(['users', 'list', '--json', ...data])) as Array<{ id: string; email: string; disabled: boolean }>;
    assert.deepEqual(
      json.map((u) => [u.email, u.disabled]),
      [
        ['ada@example.com', true],
        ['grace.hopper@example.com', false],
      ],
    );

    const rows = columns(await gatehouseCommand(['users', 'list', ...data]), ['ACCOUNT', 'ID', 'STATUS', 'ROLE', 'CREATED']);
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      [
        ['ada@example.com', json[0]!.id, 'disabled'],
        ['grace.hopper@example.com', json[1]!.id, 'active'],
      ],
    );
    for (const row of rows) assert.equal(row[3], '-', 'neither is an admin');
    for (const row of rows) assert.match(row[4]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('clients list: every client the server stores, with how it came', () => {
  let server: GatehouseProcess | undefined;
  after(() => server?.stop());

  it('lists pre-registered, resource-server and dynamically registered clients, under a header, never a secret', async () => {
    server = await startGatehouse();
    const data = ['--data-dir', server.dataDir];
    const cursor = JSON.parse(await gatehouseCommand(['clients', 'add', '--preset', 'cursor', '--json', ...data])) as { client_id: string };
    const reports = JSON.parse(await gatehouseCommand(['clients', 'add', '--resource-server', '--name', 'Reports API', '--json', ...data])) as {
      client_id: string;
    };
    // Through the registration endpoint of the running server, as an MCP client registers itself.
    const registered = await registerClient(
      server,
      nativeClientMetadata('http://127.0.0.1:43999/callback', { client_name: 'Dynamic app', token_endpoint_auth_method: 'client_secret_basic' }),
    );
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const dynamicId = String(registered.body['client_id']);
    assert.ok(registered.body['client_secret'], 'the registration answer carries a secret (it must not be listed)');

    const rows = columns(await gatehouseCommand(['clients', 'list', ...data]), ['CLIENT ID', 'KIND', 'NAME', 'CREATED', 'REDIRECT URIS']);
    const byId = new Map(rows.map((r) => [r[0], r]));
    assert.equal(rows.length, 3, JSON.stringify(rows));
    assert.deepEqual(byId.get(cursor.client_id)?.slice(1, 3), ['pre-registered', 'Cursor']);
    assert.deepEqual(byId.get(reports.client_id)?.slice(1, 3), ['resource-server', 'Reports API']);
    assert.equal(byId.get(reports.client_id)?.[4], '-', 'no redirect URIs');
    assert.deepEqual(byId.get(dynamicId)?.slice(1, 3), ['dynamic', 'Dynamic app']);
    assert.equal(byId.get(dynamicId)?.[4], 'http://127.0.0.1:43999/callback');
    for (const row of rows) assert.match(row[3]!, /^\d{4}-\d\d-\d\dT/);

    const json = JSON.parse(await gatehouseCommand(['clients', 'list', '--json', ...data])) as Array<Record<string, unknown>>;
    assert.deepEqual(
      new Set(json.map((c) => `${c['client_id']} ${c['kind']}`)),
      new Set([`${cursor.client_id} pre-registered`, `${reports.client_id} resource-server`, `${dynamicId} dynamic`]),
    );
    assert.ok(
      json.every((c) => c['client_secret'] === undefined),
      'secrets are never listed',
    );
  });
});
