import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/contract/store.js';
import { deleteKeysWithPrefixes } from '../store/redis-fixture.js';

/**
 * The mode and store the black-box security suites run against. The default run is embedded mode on SQLite;
 * `test/checklist/matrix-*.test.ts` run the same suites again with `GATEHOUSE_TEST_STORE=redis` and
 * `GATEHOUSE_TEST_MODE=federated`, so every defence is shown in every mode on every store.
 */
export const MATRIX = {
  store: process.env['GATEHOUSE_TEST_STORE'] === 'redis' ? 'redis' : 'sqlite',
  mode: process.env['GATEHOUSE_TEST_MODE'] === 'federated' ? 'federated' : 'embedded',
} as const;

const REDIS_URL = process.env['GATEHOUSE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A fresh store for one test server, of the matrix's kind, and how to remove what it left behind. */
export async function matrixStore(dataDir: string): Promise<{ store: Store; cleanup: () => Promise<void>; cliArgs: string[] }> {
  const sqlite = `sqlite:${join(dataDir, 'gatehouse.db')}`;
  if (MATRIX.store === 'sqlite') return { store: await openStore(sqlite), cleanup: async () => {}, cliArgs: ['--store', sqlite] };
  const prefix = `test-matrix-${randomBytes(6).toString('hex')}`;
  return {
    store: await openStore(REDIS_URL, { prefix }),
    cleanup: () => deleteKeysWithPrefixes(REDIS_URL, [prefix]),
    cliArgs: ['--store', REDIS_URL, '--store-prefix', prefix],
  };
}
