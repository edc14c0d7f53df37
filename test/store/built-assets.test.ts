import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase } from '../helpers/postgres.js';
import { deleteKeysWithPrefixes, runPrefix, sharedRedis } from './redis-fixture.js';

/*
 * The Redis store's Lua scripts and the SQLite and PostgreSQL stores' migrations are read at run time from files next to their
 * modules. tsc emits only JavaScript, so these tests check that the build copies those files and that the
 * compiled stores (dist/, built by `npm test` before it runs the suite, as the CLI tests need) find them.
 */
const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const srcDir = join(repoRoot, 'src');

/** Paths under src/ of every file the code reads at run time that tsc does not emit. */
function assetsUnderSrc(): string[] {
  return readdirSync(srcDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && ['.lua', '.sql'].includes(extname(entry.name)))
    .map((entry) => relative(srcDir, join(entry.parentPath, entry.name)))
    .sort();
}

describe('Store scripts and migrations in the build', () => {
  const tempRoot = mkdtempSync(join(tmpdir(), 'gatehouse-assets-'));
  after(() => rmSync(tempRoot, { recursive: true, force: true }));

  it('the build step copies every .lua and .sql file of src/ to the same path, and the package ships dist/', async () => {
    const assets = assetsUnderSrc();
    assert.ok(assets.some((path) => path.endsWith('.lua')) && assets.some((path) => path.endsWith('.sql')), assets.join());
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { build: string }; files: string[] };
    assert.match(pkg.scripts.build, /node scripts\/copy-assets\.js/);
    assert.ok(pkg.files.includes('dist'));

    const out = join(tempRoot, 'out');
    await run(process.execPath, [join(repoRoot, 'scripts/copy-assets.js'), out], { cwd: repoRoot });
    for (const path of assets) {
      assert.equal(readFileSync(join(out, path), 'utf8'), readFileSync(join(srcDir, path), 'utf8'), path);
    }
  });

  it('the compiled stores in dist/ load their scripts and migrations and work (SQLite, Redis and PostgreSQL)', async () => {
    const redis = await sharedRedis();
    const postgres = await createTestDatabase();
    const prefix = `${runPrefix}-built-assets`;
    try {
      const storeModule = pathToFileURL(join(repoRoot, 'dist/store/index.js')).href;
      const script = join(tempRoot, 'built.mjs');
      // Plain node, no tsx: exactly what an installed package runs.
      const program = `import { openStore } from ${JSON.stringify(storeModule)};
        for (const url of process.argv.slice(2)) {
          const store = await openStore(url, { prefix: ${JSON.stringify(prefix)} });
          await store.set('Code', 'c1', { n: 1 }, 60);
          await store.addToGroup('grant:1', 'Code:c1', 60);
          const consumed = [await store.consume('Code', 'c1'), await store.consume('Code', 'c1')];
          const count = (await store.increment('hits', 60)).count;
          await store.purgeGroup('grant:1');
          console.log(JSON.stringify({ consumed, count, gone: (await store.get('Code', 'c1')) === undefined }));
          await store.close();
        }`;
      writeFileSync(script, program);
      const { stdout } = await run(process.execPath, [script, `sqlite:${join(tempRoot, 'built.db')}`, redis.url, postgres.url], {
        cwd: tempRoot,
        timeout: 60_000,
      });
      const expected = JSON.stringify({ consumed: [true, false], count: 1, gone: true });
      assert.deepEqual(stdout.trim().split('\n'), [expected, expected, expected]);
    } finally {
      await deleteKeysWithPrefixes(redis.url, [prefix]);
      await redis.release();
      await postgres.drop();
    }
  });
});
