import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SETTINGS } from '../../src/config/settings.js';
import { settingsTable } from '../../src/config/settings-table.js';

const README = new URL('../../README.md', import.meta.url);
const START = '<!-- settings table:';
const END = '<!-- end of settings table -->';

/** The table between the README's markers, without the start marker's line. */
function readmeTable(text: string): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  assert.ok(start >= 0 && end > start, `README.md must keep the settings table between "${START}" and "${END}"`);
  return text.slice(text.indexOf('\n', start) + 1, end);
}

describe('the README configuration table', () => {
  it('is the settings table, row for row (regenerate it with `npm run docs:settings`)', () => {
    const actual = readmeTable(readFileSync(README, 'utf8')).split('\n');
    const expected = settingsTable().split('\n');
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
      assert.equal(actual[i], expected[i], `README.md settings table, row ${i + 1}: run \`npm run docs:settings\` and paste its output between the markers`);
    }
  });

  it('has one row per setting, naming its flag or, for a secret, its variable', () => {
    const rows = readmeTable(readFileSync(README, 'utf8')).split('\n').slice(2).filter(Boolean);
    assert.equal(rows.length, SETTINGS.length);
    for (const [i, setting] of SETTINGS.entries()) {
      assert.ok(rows[i]!.startsWith(`| \`${setting.key}\` |`), `row ${i + 1} is ${setting.key}`);
      const flagOrVariable = setting.envOnly ? `GATEHOUSE_` : `--`;
      assert.ok(rows[i]!.split('|')[2]!.includes(flagOrVariable), `${setting.key}: ${rows[i]}`);
    }
  });
});
