import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TEMPLATE_NAMES } from '../../../src/authserver/web/page-templates.js';
import { loadTemplatesDir } from '../../../src/authserver/web/templates-dir.js';
import { OperatorError } from '../../../src/util/operator-error.js';

/** A fresh templates directory holding `files`. */
function templatesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'gh-templates-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Loading must stop with one line that names the setting, the file and what to do. */
function refused(dir: string, file: string, reason: RegExp) {
  assert.throws(
    () => loadTemplatesDir(dir),
    (error: unknown) => {
      assert.ok(error instanceof OperatorError, String(error));
      assert.ok(error.message.startsWith('templatesDir (--templates-dir / GATEHOUSE_TEMPLATES_DIR): '), error.message);
      assert.ok(error.message.includes(file), `${error.message} names ${file}`);
      assert.match(error.message, reason);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    },
  );
}

describe('loading a templates directory', () => {
  it('reads each page template once, and skips dot files', () => {
    const dir = templatesDir({ 'login.html': '<h1>{{title}}</h1>', '.DS_Store': 'x', 'error.html': '<p>{{error}}</p>' });
    const templates = loadTemplatesDir(dir);
    assert.deepEqual([...templates.sources.keys()].sort(), ['error', 'login']);
    writeFileSync(join(dir, 'login.html'), '<h1>changed</h1>');
    assert.equal(templates.render('login', { title: 'Sign in' }), '<h1>Sign in</h1>', 'what was read at start, not the file now');
    assert.equal(templates.render('consent', {}), undefined, 'a page without a template keeps the built-in one');
  });

  it('escapes every {{value}}, quotes and backticks too; only {{{value}}} is raw', () => {
    const templates = loadTemplatesDir(templatesDir({ 'error.html': '<p title="{{error}}">{{error}}</p>{{{description}}}' }));
    const hostile = `<script>alert(1)</script>"'\``;
    assert.equal(
      templates.render('error', { error: hostile, description: '<b>raw</b>' }),
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;">&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&#96;</p><b>raw</b>',
    );
  });

  it('gives templates plain data: nested objects and lists, never functions to call', () => {
    const templates = loadTemplatesDir(templatesDir({ 'consent.html': '{{client.name}}:{{#scopes}}[{{name}}]{{/scopes}}{{#trap}}called{{/trap}}' }));
    let called = false;
    const view = { client: { name: 'Notes' }, scopes: [{ name: 'a' }, { name: 'b' }], trap: () => (called = true) };
    assert.equal(templates.render('consent', view), 'Notes:[a][b]');
    assert.equal(called, false);
  });

  it("allows a template's <style> by its hash, and refuses one with a value in it", () => {
    const css = 'h1{color:#0b6e4f}';
    const templates = loadTemplatesDir(templatesDir({ 'layout.html': `<style>${css}</style>{{{body}}}` }));
    assert.deepEqual(templates.styleHashes, [`'sha256-${createHash('sha256').update(css).digest('base64')}'`]);
    refused(templatesDir({ 'login.html': '<style>h1{color:{{color}}}</style>' }), 'login.html', /inside a <style>: a style must be fixed text/);
  });

  it('refuses a missing directory', () => {
    refused(join(tmpdir(), 'no-such-templates-dir'), 'no-such-templates-dir', /cannot be read \(ENOENT\): give a directory/);
  });

  it('refuses a file that is not a page, suggesting the page a typo meant', () => {
    refused(
      templatesDir({ 'logn.html': '' }),
      'logn.html',
      /is not a page's template \(did you mean login.html\?\): name each file after its page \(layout.html, login.html/,
    );
    refused(templatesDir({ 'notes.txt': '' }), 'notes.txt', /is not a page's template: name each file/);
    refused(templatesDir({ 'admin-peple.html': '' }), 'admin-peple.html', /\(did you mean admin-people.html\?\)/);
    refused(templatesDir({ 'admin-client.html': '' }), 'admin-client.html', /\(did you mean admin-clients.html\?\)/);
  });

  it('takes a template for each admin console section, which places no body of its own', () => {
    const sections = ['overview', 'people', 'person', 'clients', 'activity', 'keys', 'confirm'].map((name) => `admin-${name}.html`);
    const templates = loadTemplatesDir(templatesDir(Object.fromEntries(sections.map((file) => [file, `<p>${file}</p>`]))));
    assert.equal(templates.sources.size, sections.length);
    assert.equal(templates.render('admin-people', {}), '<p>admin-people.html</p>');
  });

  it('refuses a file it cannot read (a directory in its place, unreadable whoever the server runs as)', () => {
    const dir = templatesDir({});
    mkdirSync(join(dir, 'account.html'));
    refused(dir, 'account.html', /cannot be read \(EISDIR\)/);
  });

  it('refuses a template that does not parse, saying where', () => {
    refused(templatesDir({ 'consent.html': '{{#scopes}}<li>{{name}}</li>' }), 'consent.html', /does not parse \(Unclosed section "scopes" at \d+\)/);
    refused(templatesDir({ 'error.html': '<p>{{error</p>' }), 'error.html', /does not parse \(Unclosed tag at \d+\)/);
  });

  it('refuses includes, scripts and style attributes, which the pages cannot use', () => {
    refused(templatesDir({ 'login.html': '{{> header}}' }), 'login.html', /includes \{\{> header\}\}: templates cannot include one another/);
    refused(templatesDir({ 'login.html': '<script>alert(1)</script>' }), 'login.html', /has a <script>: the pages run no scripts/);
    refused(templatesDir({ 'login.html': '<p style="color:red">x</p>' }), 'login.html', /style="…" attribute/);
  });

  it('refuses a layout or admin frame that never places the body, or escapes it', () => {
    refused(templatesDir({ 'layout.html': '<main></main>' }), 'layout.html', /never places \{\{\{body\}\}\}/);
    refused(templatesDir({ 'admin.html': '<main>{{body}}</main>' }), 'admin.html', /never places \{\{\{body\}\}\}/);
  });

  it('has every template in docs/templates.md: in the list of files, with a heading of its own for its data', () => {
    const docs = readFileSync(new URL('../../../docs/templates.md', import.meta.url), 'utf8');
    for (const name of TEMPLATE_NAMES) {
      assert.ok(docs.includes(`\n| \`${name}.html\` |`), `${name}.html in the list of files`);
      assert.match(docs, new RegExp(`\\n#{3,4} \`${name}\\.html\`\\n`), `${name}.html has its section`);
    }
  });
});
