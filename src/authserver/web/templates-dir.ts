import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Mustache from 'mustache';
import { OperatorError } from '../../util/operator-error.js';
import { PageTemplates, TEMPLATE_NAMES, type TemplateName } from './page-templates.js';

const SETTING = 'templatesDir (--templates-dir / GATEHOUSE_TEMPLATES_DIR)';
const FILE_NAMES = TEMPLATE_NAMES.map((name) => `${name}.html`).join(', ');
/** Templates that wrap others, and so must place the body they wrap. */
const WRAPPERS: readonly TemplateName[] = ['layout', 'admin'];

/** Mustache's parsed form: `[type, value, start, end, …]`, a section's tokens fifth (a partial has its indent there). */
type Token = [string, string, number, number, unknown?];

const fail = (what: string, fix: string) => new OperatorError(`${SETTING}: ${what}: ${fix}`);

/**
 * The templates directory, read once when the server starts: every file must be a page's template (`login.html`…)
 * that parses, or the server does not start. Dot files are skipped (an editor's or the OS's, not the operator's).
 */
export function loadTemplatesDir(dir: string): PageTemplates {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => !name.startsWith('.'));
  } catch (error) {
    throw fail(`${dir} cannot be read (${errorCode(error)})`, 'give a directory holding page templates such as login.html');
  }
  const sources = new Map<TemplateName, string>();
  const styleHashes = new Set<string>();
  for (const file of names.sort()) {
    const name = templateName(file);
    const path = join(dir, file);
    if (name === undefined) {
      const near = nearestName(file);
      throw fail(`${path} is not a page's template${near ? ` (did you mean ${near}?)` : ''}`, `name each file after its page (${FILE_NAMES}) or remove it`);
    }
    let source: string;
    try {
      source = readFileSync(path, 'utf8');
    } catch (error) {
      throw fail(`${path} cannot be read (${errorCode(error)})`, 'make it a file the server can read, or remove it');
    }
    checkTemplate(path, name, source);
    for (const hash of styleHashesOf(path, source)) styleHashes.add(hash);
    sources.set(name, source);
  }
  return new PageTemplates(sources, [...styleHashes]);
}

function templateName(file: string): TemplateName | undefined {
  const name = file.endsWith('.html') ? file.slice(0, -'.html'.length) : undefined;
  return (TEMPLATE_NAMES as readonly string[]).includes(name ?? '') ? (name as TemplateName) : undefined;
}

/** What the operator must fix before the template can be used: it parses, includes nothing, runs no script. */
function checkTemplate(path: string, name: TemplateName, source: string): void {
  let tokens: Token[];
  try {
    tokens = new Mustache.Writer().parse(source) as Token[];
  } catch (error) {
    throw fail(`${path} does not parse (${(error as Error).message})`, 'close every {{#section}} with its {{/section}} and every tag with }}');
  }
  const all = flatten(tokens);
  const partial = all.find(([type]) => type === '>');
  if (partial) throw fail(`${path} includes {{> ${partial[1]}}}`, 'templates cannot include one another; put what every page shares in layout.html');
  if (WRAPPERS.includes(name) && !all.some(([type, value]) => type === '&' && value === 'body')) {
    throw fail(`${path} never places {{{body}}}`, 'put {{{body}}} where the page goes (three braces: it is the HTML the server built)');
  }
  // The pages' Content-Security-Policy runs no script and allows styles by hash only: say so now, not by a page
  // that silently looks wrong.
  if (/<script\b/i.test(source)) throw fail(`${path} has a <script>`, 'the pages run no scripts (their Content-Security-Policy forbids them); remove it');
  if (/<[a-z][^>]*\sstyle\s*=/i.test(source))
    throw fail(`${path} has a style="…" attribute`, 'put the rules in a <style> element instead, which the server allows by its hash');
}

function flatten(tokens: readonly Token[]): Token[] {
  return tokens.flatMap((token) => [token, ...(Array.isArray(token[4]) ? flatten(token[4] as Token[]) : [])]);
}

/** Each `<style>` element's CSP hash; its text must be fixed, since a value rendered into it would change the hash. */
function styleHashesOf(path: string, source: string): string[] {
  return [...source.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)].map(([, css = '']) => {
    if (css.includes('{{'))
      throw fail(
        `${path} has a {{…}} tag inside a <style>`,
        "a style must be fixed text (its hash goes into the pages' Content-Security-Policy); move the value out of it",
      );
    return `'sha256-${createHash('sha256').update(css).digest('base64')}'`;
  });
}

/** The template file name a typo was meant to be: within two edits. */
function nearestName(file: string): string | undefined {
  const names = TEMPLATE_NAMES.map((name) => `${name}.html`);
  return names.find((name) => editDistance(file.toLowerCase(), name) <= 2);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}
