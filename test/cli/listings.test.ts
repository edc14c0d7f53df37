import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addUser, gatehouseCommand } from '../helpers/gatehouse-process.js';

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

    const rows = columns(await gatehouseCommand(['users', 'list', ...data]), ['ACCOUNT', 'ID', 'STATUS', 'CREATED']);
    assert.deepEqual(
      rows.map((r) => r.slice(0, 3)),
      [
        ['ada@example.com', json[0]!.id, 'disabled'],
        ['grace.hopper@example.com', json[1]!.id, 'active'],
      ],
    );
    for (const row of rows) assert.match(row[3]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
