import { envName, flagName, SETTINGS, type Setting } from './settings.js';

/** Text for a Markdown table cell: a `|` would end the cell and `<name>` would be read as an HTML tag. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/</g, '&lt;');
}

/** A value (`8000`, `sqlite:<data-dir>/gatehouse.db`) as code; words (`off`, `all asymmetric`) as text. */
function defaultCell(text: string | undefined): string {
  if (text === undefined) return '—';
  return /\s/.test(text) || ['on', 'off', 'none'].includes(text) ? cell(text) : `\`${text}\``;
}

/** How the setting is given on the command line: a switch on by default is only ever turned off. */
function flagCell(setting: Setting): string {
  if (setting.envOnly) return `\`${envName(setting.key)}\` (no flag: a secret)`;
  const flag = flagName(setting.key);
  if (!setting.negatable) return setting.flagAlias ? `\`--${flag}\` or \`--${setting.flagAlias}\`` : `\`--${flag}\``;
  return setting.defaultText === 'on' ? `\`--no-${flag}\`` : `\`--${flag}\`, \`--no-${flag}\``;
}

function row(setting: Setting): string {
  const spelling = flagCell(setting);
  return `| \`${setting.key}\` | ${spelling} | ${defaultCell(setting.defaultText)} | ${cell(setting.description)} |`;
}

/**
 * The README's configuration table, made from the settings table (`npm run docs:settings` prints it;
 * test/config/readme-table.test.ts fails when the README's copy differs).
 */
export function settingsTable(): string {
  return `${['| setting | flag | default | meaning |', '|---|---|---|---|', ...SETTINGS.map(row)].join('\n')}\n`;
}
