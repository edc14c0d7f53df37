import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { sourceFiles } from './source-files.js';

/**
 * The layers of ../shared/DESIGN.md, lowest first: a file imports only from its own layer or the layers before
 * it. A folder is named by its first path segment under src/; a file at src/ root by its name.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['util'],
  ['dev'], // development signing keys: util only
  ['store'],
  ['audit'], // the audit trail, kept in the store
  ['resource'], // resource-server contracts (caller, URL model, the auth-mode contract, verifiers, scopes) and the gate
  ['mcp'],
  ['authserver'],
  ['http'],
  ['gatehouse.ts', 'index.ts', 'client'], // the entry; client/ (connect, doctor) is part of the public API
  ['config'],
  ['cli'],
];

/** Folders whose rooms (subfolders, and the folder's own files as one more room) may not import each other in a cycle. */
const ROOMED: readonly string[] = ['authserver', 'store'];

interface Import {
  from: string; // src-relative, posix
  to: string;
  line: number;
}

function layerName(file: string): string {
  return file.split('/')[0]!;
}

function layerIndex(file: string): number {
  const name = layerName(file);
  return LAYERS.findIndex((layer) => layer.includes(name));
}

/** Every project-internal import of one file: static, `export … from`, `import()` and `import('…').T` types. */
function importsOf(file: string, text: string, exists: (file: string) => boolean): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: ts.Node | undefined): void => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
    const target = resolve(file, specifier.text, exists);
    const line = source.getLineAndCharacterOfPosition(specifier.getStart()).line + 1;
    found.push({ from: file, to: target, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** NodeNext specifiers name the emitted `.js`; the source is the `.ts` beside it (or a folder's index.ts). */
function resolve(from: string, specifier: string, exists: (file: string) => boolean): string {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [joined.replace(/\.js$/, '.ts'), `${joined}.ts`, `${joined}/index.ts`];
  return candidates.find(exists) ?? joined;
}

/** Upward imports, imports from unmapped places, and every cycle between files and between folders. */
function layerProblems(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const imports = [...files].flatMap(([file, text]) => importsOf(file, text, (f) => files.has(f)));
  for (const file of files.keys()) {
    if (layerIndex(file) < 0)
      problems.push(`src/${file} is in no layer: add "${layerName(file)}" to LAYERS in test/architecture/layers.test.ts, where DESIGN.md puts it`);
  }
  for (const { from, to, line } of imports) {
    const [own, target] = [layerIndex(from), layerIndex(to)];
    if (own < 0 || target < 0 || target <= own) continue;
    problems.push(
      `src/${from}:${line} imports src/${to}: ${layerName(from)} may not import ${layerName(to)}, a higher layer. ` +
        `Move what both need down to ${layerName(from)} or lower, or have ${layerName(to)} hand it down as data at start-up.`,
    );
  }
  const path = (edges: Import[]) => edges.map(({ from, to, line }) => `src/${from}:${line} → src/${to}`).join(', ');
  for (const cycle of cycles(imports, (f) => f)) {
    problems.push(`import cycle between files: ${path(cycle)}. Move what they share into the lower of them, or into a file both import`);
  }
  // Folders as DESIGN.md draws them: the top-level folders (and the entry's files), then the rooms inside the
  // folders of ROOMED (authserver/'s engine/, flows/, upstream/… and authserver/ itself): a room leans only on
  // rooms below it.
  const within = imports.filter(({ from, to }) => ROOMED.includes(layerName(from)) && layerName(from) === layerName(to));
  for (const cycle of [...cycles(imports, layerName), ...cycles(within, posix.dirname)]) {
    problems.push(`import cycle between folders: ${path(cycle)}. One of them must stop importing the other`);
  }
  return problems;
}

/**
 * One shortest cycle through each strongly connected component (Tarjan) of the graph `imports` draws over
 * `node(file)`, as the imports that close it.
 */
function cycles(imports: readonly Import[], node: (file: string) => string): Import[][] {
  const out = new Map<string, Map<string, Import>>();
  for (const edge of imports) {
    const [a, b] = [node(edge.from), node(edge.to)];
    if (a === b) continue;
    if (!out.has(a)) out.set(a, new Map());
    if (!out.get(a)!.has(b)) out.get(a)!.set(b, edge);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of out.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const v of [...out.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((component) => shortestCycle(component[0]!, out));
}

/** Breadth-first from `start` back to itself: the imports of the shortest cycle through it. */
function shortestCycle(start: string, out: ReadonlyMap<string, ReadonlyMap<string, Import>>): Import[] {
  const reachedBy = new Map<string, { previous: string; edge: Import }>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const [w, edge] of out.get(v) ?? []) {
      if (w === start) {
        const cycle = [edge];
        for (let at = v; at !== start; at = reachedBy.get(at)!.previous) cycle.unshift(reachedBy.get(at)!.edge);
        return cycle;
      }
      if (!reachedBy.has(w)) {
        reachedBy.set(w, { previous: v, edge });
        queue.push(w);
      }
    }
  }
  return [];
}

test('every import in src/ points down the layers of DESIGN.md, with no cycle between files or folders', () => {
  const files = sourceFiles();
  assert.ok(files.size > 50, `found only ${files.size} source files`);
  assert.deepEqual(layerProblems(files), []);
});

test('the check reports an upward import, naming the import and the fix', () => {
  const problems = layerProblems(
    new Map([
      ['resource/gate.ts', "import type { Caller } from '../mcp/caller.js';"],
      ['mcp/caller.ts', 'export interface Caller {}'],
    ]),
  );
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /^src\/resource\/gate\.ts:1 imports src\/mcp\/caller\.ts: resource may not import mcp/);
  assert.match(problems[0]!, /Move what both need down to resource or lower/);
});

test('the check sees type-only, re-export and dynamic imports, and folder index files', () => {
  for (const statement of [
    "export { x } from '../http/app.js';",
    "export * from '../http';",
    "const m = await import('../http/app.js');",
    "let t: import('../http/app.js').T;",
  ]) {
    const problems = layerProblems(
      new Map([
        ['store/x.ts', statement],
        ['http/app.ts', ''],
        ['http/index.ts', ''],
      ]),
    );
    assert.equal(problems.length, 1, `${statement}: ${problems.join('\n')}`);
    assert.match(problems[0]!, /store may not import http/);
  }
});

test('the check reports a cycle between two files, and between two folders', () => {
  const files = layerProblems(
    new Map([
      ['authserver/clients/presets.ts', "import type { A } from './redirect-policy.js';"],
      ['authserver/clients/redirect-policy.ts', "import { PRESETS } from './presets.js';"],
    ]),
  );
  assert.deepEqual(files, [
    'import cycle between files: src/authserver/clients/presets.ts:1 → src/authserver/clients/redirect-policy.ts, ' +
      'src/authserver/clients/redirect-policy.ts:1 → src/authserver/clients/presets.ts. Move what they share into the lower of them, or into a file both import',
  ]);
  const folders = layerProblems(
    new Map([
      ['resource/gate.ts', "import type { Caller } from '../mcp/caller.js';"],
      ['mcp/caller.ts', ''],
      ['mcp/tools.ts', "import { scopes } from '../resource/scopes.js';"],
      ['resource/scopes.ts', ''],
    ]),
  );
  assert.equal(folders.length, 2, folders.join('\n'));
  assert.match(folders[0]!, /resource may not import mcp/);
  assert.equal(
    folders[1],
    'import cycle between folders: src/mcp/tools.ts:1 → src/resource/scopes.ts, src/resource/gate.ts:1 → src/mcp/caller.ts. One of them must stop importing the other',
  );
});

test('the check reports a cycle between two rooms of one folder, and between a room and its parent', () => {
  const rooms = layerProblems(
    new Map([
      ['authserver/people/sessions.ts', "import { createProvider } from '../engine/provider.js';"],
      ['authserver/engine/provider.ts', "import { Accounts } from '../people/accounts.js';"],
      ['authserver/people/accounts.ts', ''],
    ]),
  );
  assert.deepEqual(rooms, [
    'import cycle between folders: src/authserver/engine/provider.ts:1 → src/authserver/people/accounts.ts, ' +
      'src/authserver/people/sessions.ts:1 → src/authserver/engine/provider.ts. One of them must stop importing the other',
  ]);
  const parent = layerProblems(
    new Map([
      ['authserver/embedded.ts', "import { Federation } from './upstream/federation.js';"],
      ['authserver/upstream/federation.ts', "import { html } from '../html.js';"],
      ['authserver/html.ts', ''],
    ]),
  );
  assert.equal(parent.length, 1, parent.join('\n'));
  assert.match(parent[0]!, /^import cycle between folders: .*src\/authserver\/upstream\/federation\.ts:1 → src\/authserver\/html\.ts/);
});

test('the check reports a file that belongs to no layer', () => {
  const problems = layerProblems(new Map([['helpers.ts', '']]));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /src\/helpers\.ts is in no layer/);
});
