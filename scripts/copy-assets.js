// Copies the files tsc does not emit — Lua scripts and SQL, which the code reads next to its own module — from
// src/ into dist/ at the same relative paths. Run by `npm run build` after tsc. Usage: node scripts/copy-assets.js [outDir]
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSET_EXTENSIONS = new Set(['.lua', '.sql']);

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'src');
const outDir = resolve(root, process.argv[2] ?? 'dist');

let copied = 0;
for (const entry of readdirSync(sourceDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !ASSET_EXTENSIONS.has(extname(entry.name))) continue;
  const from = join(entry.parentPath, entry.name);
  const to = join(outDir, from.slice(sourceDir.length + 1));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  copied++;
}
if (copied === 0) throw new Error(`no ${[...ASSET_EXTENSIONS].join('/')} files found under ${sourceDir}`);
