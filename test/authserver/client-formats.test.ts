import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findPreset, presetNames } from '../../src/authserver/clients/presets.js';
import { checkRedirectUri } from '../../src/authserver/clients/redirect-policy.js';

/**
 * Each preset's printed config, held against a fixture of what that client's own documentation says it reads: the
 * fields of its form, the keys of its JSON file, the flags of its command, and the callback URLs it uses. When a
 * client changes its format, update the fixture from its documentation (the sources are listed there) and the
 * preset with it.
 */
type Form = { kind: 'form'; location: string[]; fields: string[]; urlField: string; clientIdField: string };
type Json = { kind: 'json'; example: unknown; urlPath: string[]; clientIdPath: string[] };
type Command = { kind: 'command'; example: string; valueFlags: string[]; switches: string[]; positionals: string[] };
type Documented = (Form | Json | Command) & { sources: string[]; callbacks: string[] };

const FIXTURE = JSON.parse(readFileSync(new URL('./client-formats.json', import.meta.url), 'utf8')) as { clients: Record<string, Documented> };
const MCP_URL = 'https://mcp.example.com/mcp';
const CLIENT_ID = 'gh_client_0123456789abcdef';

/** The `Label: value` lines of a form snippet (a label may carry a note in brackets; other lines are instructions). */
function formFields(snippet: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of snippet.split('\n')) {
    const match = /^\s*([^:(]+?)\s*(?:\([^)]*\))?:\s*(.*)$/.exec(line);
    if (match) fields.set(match[1]!, match[2]!);
  }
  return fields;
}

/** Every key path of a JSON value, a server name (the one key under `mcpServers`/`servers`) written `*`. */
function keyPaths(value: unknown, path: string[] = []): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [path.join('.')];
  const parent = path.at(-1);
  return Object.entries(value).flatMap(([key, inner]) => keyPaths(inner, [...path, parent === 'mcpServers' || parent === 'servers' ? '*' : key]));
}

function at(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((inner, key) => {
    if (typeof inner !== 'object' || inner === null) return undefined;
    return key === '*' ? Object.values(inner)[0] : (inner as Record<string, unknown>)[key];
  }, value);
}

/** A command line split as a POSIX shell splits it. */
function words(command: string): string[] {
  return execFileSync('bash', ['-c', `set -- ${command}; printf '%s\\0' "$@"`], { encoding: 'utf8' })
    .split('\0')
    .slice(0, -1);
}

/** The program and sub-command words (up to the first flag or URL), the flags with their values, and the positionals. */
function parseCommand(line: string, documented: Command): { program: string[]; flags: Map<string, string | true>; positionals: string[] } {
  const all = words(line);
  const end = all.findIndex((word) => word.startsWith('-') || word.includes('://'));
  const program = all.slice(0, end === -1 ? all.length : end);
  const rest = all.slice(program.length);
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (documented.valueFlags.includes(word)) flags.set(word, rest[++i] ?? '');
    else if (word.startsWith('--')) flags.set(word, true);
    else positionals.push(word);
  }
  return { program, flags, positionals };
}

describe("each preset's printed config matches its client's documented format", () => {
  it('the fixture covers every preset', () => {
    assert.deepEqual(Object.keys(FIXTURE.clients).sort(), [...presetNames()].sort());
  });

  for (const [name, documented] of Object.entries(FIXTURE.clients)) {
    describe(name, () => {
      const preset = findPreset(name)!;
      const snippet = preset.configSnippet(MCP_URL, CLIENT_ID);

      it('accepts every callback URL the client documents', () => {
        const policy = { mode: 'allowlist' as const, presets: [name] };
        for (const callback of documented.callbacks) assert.deepEqual(checkRedirectUri(callback, policy, preset.applicationType), { ok: true }, callback);
      });

      if (documented.kind === 'form') {
        it('names only fields the form has, with the URL and client id in their own fields', () => {
          const fields = formFields(snippet);
          for (const label of fields.keys())
            assert.ok(documented.fields.includes(label), `"${label}" is not a field of the form (${documented.fields.join(', ')})`);
          assert.equal(fields.get(documented.urlField), MCP_URL);
          assert.equal(fields.get(documented.clientIdField), CLIENT_ID);
        });
        it('says where the form is, as the client names its menus', () => {
          for (const step of documented.location) assert.ok(preset.configLocation.includes(step), `"${step}" missing from "${preset.configLocation}"`);
        });
      }

      if (documented.kind === 'json') {
        it('uses only keys of the documented file, the URL and client id where the client reads them', () => {
          const printed = JSON.parse(snippet) as unknown;
          const known = new Set(keyPaths(documented.example));
          for (const path of keyPaths(printed)) assert.ok(known.has(path), `${path} is not in the documented format`);
          assert.equal(at(printed, documented.urlPath), MCP_URL);
          assert.equal(at(printed, documented.clientIdPath), CLIENT_ID);
        });
      }

      if (documented.kind === 'command') {
        it('is the documented command, with documented flags and positionals in their places', () => {
          const example = parseCommand(documented.example, documented);
          const printed = parseCommand(snippet, documented);
          assert.deepEqual(printed.program, example.program);
          for (const flag of printed.flags.keys()) {
            assert.ok(documented.valueFlags.includes(flag) || documented.switches.includes(flag), `${flag} is not a documented flag`);
          }
          assert.equal(printed.positionals.length, documented.positionals.length, printed.positionals.join(' '));
          const url = printed.positionals[documented.positionals.indexOf('url')];
          assert.equal(url, MCP_URL);
          assert.ok(
            words(snippet).some((word) => word === CLIENT_ID || word.includes(JSON.stringify(CLIENT_ID))),
            'the client id is passed',
          );
        });
      }
    });
  }
});
