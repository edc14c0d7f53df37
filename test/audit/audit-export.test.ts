import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/audit/audit-log.js';
import { CSV_COLUMNS, toCsv, toJsonLines } from '../../src/audit/audit-export.js';

const events: AuditEvent[] = [
  { id: 'a', at: Date.UTC(2026, 11, 1, 10), type: 'login.failed', address: '203.0.113.9', reason: '=HYPERLINK("https://evil.example","x")' },
  {
    id: 'b',
    at: Date.UTC(2026, 11, 1, 11),
    type: 'tool.called',
    subject: 'u1',
    clientId: '+client',
    tool: '@tool',
    outcome: 'denied',
    durationMs: 4,
    reason: '-1, "quoted"\nline',
  },
];

/** A small RFC 4180 reader, to check what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (quoted && ch === '"') {
      quoted = false;
    } else if (quoted) {
      cell += ch;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += ch;
    }
  }
  return rows;
}

describe('audit export', () => {
  it('writes JSON lines: one event per line, each parsing back to the event', () => {
    const lines = toJsonLines(events).split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(
      lines.map((line) => JSON.parse(line)),
      events,
    );
  });

  it('writes CSV with a header, quoting commas, quotes and newlines', () => {
    const rows = parseCsv(toCsv(events));
    assert.deepEqual(rows[0], [...CSV_COLUMNS]);
    assert.equal(rows.length, 3);
    assert.equal(rows[1]![CSV_COLUMNS.indexOf('at')], '2026-12-01T10:00:00.000Z');
    assert.equal(rows[2]![CSV_COLUMNS.indexOf('durationMs')], '4');
  });

  it('escapes cells a spreadsheet would run as formulas: = + - @', () => {
    const rows = parseCsv(toCsv(events));
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    assert.equal(rows[1]![col('reason')], `'=HYPERLINK("https://evil.example","x")`);
    assert.equal(rows[2]![col('clientId')], "'+client");
    assert.equal(rows[2]![col('tool')], "'@tool");
    assert.equal(rows[2]![col('reason')], `'-1, "quoted"\nline`);
    for (const row of rows.slice(1)) for (const cell of row) assert.doesNotMatch(cell, /^[=+\-@]/, cell);
  });
});
