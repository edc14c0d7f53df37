import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { sourceFiles } from './source-files.js';
import { SETTINGS_TABLE } from '../../src/config/settings.js';

/**
 * The files that may build a `Response` themselves. Everything else throws an HttpError and leaves the answer
 * to the renderers, so an error is shaped in one place.
 */
const RESPONDERS: ReadonlyMap<string, string> = new Map([
  ['util/http-error.ts', 'the error model: the JSON and JSON-RPC renderings of every HttpError'],
  ['resource/challenge.ts', "the bearer gate's 400/401/403 answers with their WWW-Authenticate challenge"],
  ['authserver/web/html.ts', 'pages and See Other redirects (the page error renderer draws through it)'],
  ['authserver/tokens/introspection-endpoint.ts', "introspection's answer (RFC 7662 §2.2), an answer, not an error"],
  ['http/discovery.ts', 'protected resource metadata and its CORS preflight'],
  ['http/health.ts', 'the liveness and readiness probes'],
  ['http/metrics.ts', 'the Prometheus exposition'],
  ['http/cors.ts', 'the MCP preflight, and the copy of a response that adds the CORS headers'],
  ['http/listen.ts', 'the bare 503 a request gets in the moment before the app is built'],
  ['mcp/shared-server-lane.ts', 'the MCP answer (JSON, or an event stream) of a stateless 2025 request the shared lane carries'],
  ['util/guarded-fetch.ts', "the Fetch Response of an outbound fetch, handed to oidc-provider (nobody's answer)"],
  ['authserver/upstream/github.ts', "GitHub's token answer re-statused for the OAuth client (nobody's answer)"],
]);

const SETTINGS_FILE = 'config/settings.ts';

type Files = ReadonlyMap<string, string>;

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

function lineOf(source: ts.SourceFile, node: ts.Node): number {
  return source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
}

function each(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => each(child, visit));
}

/** `new Response(…)` and `Response.json(…)`, wherever they are written, with their lines. */
function responsesBuilt(file: string, text: string): number[] {
  const source = parse(file, text);
  const lines: number[] = [];
  each(source, (node) => {
    const isNew = ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Response';
    const isJson =
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      ts.isIdentifier(node.expression.expression) &&
      node.expression.expression.text === 'Response' &&
      node.expression.name.text === 'json';
    if (isNew || isJson) lines.push(lineOf(source, node));
  });
  return lines;
}

/** Responses built outside the responders, and responders that no longer build any (stale entries). */
function responseProblems(files: Files, responders: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    const lines = responsesBuilt(file, text);
    if (lines.length > 0 && !responders.has(file)) {
      problems.push(
        `src/${file}:${lines.join(',')} builds a Response: throw an HttpError (util/http-error.ts) and let the renderer answer, ` +
          'or, for a new kind of answer, add the file to RESPONDERS in test/architecture/error-model.test.ts with the reason',
      );
    }
    if (lines.length === 0 && responders.has(file)) problems.push(`src/${file} builds no Response any more: remove it from RESPONDERS`);
  }
  for (const file of responders.keys()) if (!files.has(file)) problems.push(`src/${file} is gone: remove it from RESPONDERS`);
  return problems;
}

/** The value of a numeric literal, or of arithmetic on them (`64 * 1024`); undefined for anything else. */
function numberIn(node: ts.Expression): number | undefined {
  if (ts.isNumericLiteral(node)) return Number(node.text.replace(/_/g, ''));
  if (ts.isParenthesizedExpression(node)) return numberIn(node.expression);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) {
    const value = numberIn(node.operand);
    return value === undefined ? undefined : -value;
  }
  if (ts.isBinaryExpression(node)) {
    const [left, right] = [numberIn(node.left), numberIn(node.right)];
    if (left === undefined || right === undefined) return undefined;
    switch (node.operatorToken.kind) {
      case ts.SyntaxKind.AsteriskToken:
        return left * right;
      case ts.SyntaxKind.PlusToken:
        return left + right;
      case ts.SyntaxKind.MinusToken:
        return left - right;
      case ts.SyntaxKind.SlashToken:
        return left / right;
    }
  }
  return undefined;
}

/** The name a fallback applies to: `options.auditRetentionDays ?? …` → auditRetentionDays. */
function nameOf(node: ts.Node): string | undefined {
  if (ts.isIdentifier(node)) return node.text;
  if (ts.isPropertyAccessExpression(node)) return node.name.text;
  if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) return node.argumentExpression.text;
  if (ts.isParenthesizedExpression(node)) return nameOf(node.expression);
  return undefined;
}

interface NumericDefault {
  key: string;
  value: number;
}

/**
 * The files the settings table reads its defaults from (`EMBEDDED_DEFAULTS`, `DEFAULT_LIMITS`, …): the one
 * place each of those numbers is written.
 */
function defaultsHomes(settingsText: string): Set<string> {
  const source = parse(SETTINGS_FILE, settingsText);
  const importedFrom = new Map<string, string>();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (!bindings || !ts.isNamedImports(bindings)) continue;
    const target = posix.normalize(posix.join(posix.dirname(SETTINGS_FILE), statement.moduleSpecifier.text)).replace(/\.js$/, '.ts');
    for (const element of bindings.elements) importedFrom.set(element.name.text, target);
  }
  const homes = new Set<string>();
  each(source, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression) || node.expression.name.text !== 'default') return;
    for (const argument of node.arguments) {
      each(argument, (inner) => {
        const home = ts.isIdentifier(inner) ? importedFrom.get(inner.text) : undefined;
        if (home) homes.add(home);
      });
    }
  });
  return homes;
}

/**
 * Numeric defaults of the settings table written out again as literals: a fallback (`?? 90`, `|| 90`) or a
 * parameter default (`retentionDays = 90`) with a default's value outside the files the table reads defaults
 * from, and anywhere a fallback for the setting itself (`auditRetentionDays ?? 30`, or `headersTimeoutMs ?? …`
 * for `headersTimeoutSeconds`). Such a copy drifts from the table the day one of them changes.
 */
function restatedDefaultProblems(files: Files, defaults: readonly NumericDefault[], homes: ReadonlySet<string>): string[] {
  const byValue = new Map<number, string[]>();
  for (const { key, value } of defaults) byValue.set(value, [...(byValue.get(value) ?? []), key]);
  const byName = new Map<string, string>();
  for (const { key } of defaults) {
    byName.set(key, key);
    if (key.endsWith('Seconds')) byName.set(`${key.slice(0, -'Seconds'.length)}Ms`, key);
  }
  const problems: string[] = [];
  for (const [file, text] of files) {
    if (file === SETTINGS_FILE) continue;
    const source = parse(file, text);
    const report = (node: ts.Node, keys: readonly string[], value: number) =>
      problems.push(
        `src/${file}:${lineOf(source, node)} writes ${value}, the default of ${keys.join(' / ')} in the settings table, again: ` +
          'use the named default the table reads (EMBEDDED_DEFAULTS, DEFAULT_LIMITS, LISTEN_DEFAULTS, …) instead',
      );
    each(source, (node) => {
      let target: ts.Node | undefined;
      let fallback: ts.Expression | undefined;
      if (ts.isBinaryExpression(node) && [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken].includes(node.operatorToken.kind)) {
        [target, fallback] = [node.left, node.right];
      } else if ((ts.isParameter(node) || ts.isBindingElement(node)) && node.initializer) {
        [target, fallback] = [node.name, node.initializer];
      }
      const value = fallback && numberIn(fallback);
      if (target === undefined || value === undefined) return;
      const named = nameOf(target);
      const setting = named === undefined ? undefined : byName.get(named);
      if (setting) report(node, [setting], value);
      else if (!homes.has(file) && byValue.has(value)) report(node, byValue.get(value)!, value);
    });
  }
  return problems;
}

function numericDefaults(): NumericDefault[] {
  return Object.entries(SETTINGS_TABLE).flatMap(([key, schema]) => {
    const parsed = (schema as { safeParse(value: unknown): { success: boolean; data?: unknown } }).safeParse(undefined);
    return parsed.success && typeof parsed.data === 'number' ? [{ key, value: parsed.data }] : [];
  });
}

test('only the renderers and responders build a Response; everything else throws HttpErrors', () => {
  const files = sourceFiles();
  assert.ok(files.size > 50, `found only ${files.size} source files`);
  assert.deepEqual(responseProblems(files, RESPONDERS), []);
});

test('no numeric default of the settings table is written again elsewhere in src/', () => {
  const files = sourceFiles();
  const defaults = numericDefaults();
  assert.ok(
    defaults.some((d) => d.key === 'auditRetentionDays'),
    'the table has numeric defaults',
  );
  const homes = defaultsHomes(files.get(SETTINGS_FILE)!);
  assert.ok(homes.has('authserver/engine/defaults.ts') && homes.has('http/limits.ts'), `the defaults' homes: ${[...homes].join(', ')}`);
  assert.deepEqual(restatedDefaultProblems(files, defaults, homes), []);
});

test('the checks report a hand-built Response, a stale responder, and restated defaults, with the fix', () => {
  const responses = responseProblems(
    new Map([
      ['http/guards.ts', "export const refuse = () => Response.json({ error: 'forbidden' }, { status: 403 });"],
      ['http/health.ts', 'export const ok = () => new Response(null);'],
      ['http/metrics.ts', 'export const nothing = 1;'],
    ]),
    new Map([
      ['http/health.ts', 'probes'],
      ['http/metrics.ts', 'metrics'],
    ]),
  );
  assert.equal(responses.length, 2, responses.join('\n'));
  assert.match(responses[0]!, /^src\/http\/guards\.ts:1 builds a Response: throw an HttpError/);
  assert.match(responses[1]!, /^src\/http\/metrics\.ts builds no Response any more/);

  const defaults = [
    { key: 'auditRetentionDays', value: 90 },
    { key: 'headersTimeoutSeconds', value: 10 },
  ];
  const restated = restatedDefaultProblems(
    new Map([
      ['cli/data.ts', 'const days = config.days ?? 90;\nfunction keep(retentionDays = 90) {}\nconst n = count ?? 3;'],
      ['http/listen.ts', 'const timeout = options.headersTimeoutMs ?? 10_000;'],
      ['audit/audit-log.ts', 'const x = y ?? 90;'],
    ]),
    defaults,
    new Set(['audit/audit-log.ts']),
  );
  assert.deepEqual(
    restated.map((p) => p.split(' writes ')[0]),
    ['src/cli/data.ts:1', 'src/cli/data.ts:2', 'src/http/listen.ts:1'],
  );
  assert.match(restated[2]!, /writes 10000, the default of headersTimeoutSeconds in the settings table, again: use the named default/);
});
