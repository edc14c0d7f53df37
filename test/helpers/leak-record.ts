import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the post-suite leak scan (`test/leak-scan.ts`) needs from each test process: the secrets the tests
 * created (tokens, codes, client secrets, passwords, upstream tokens), every log line the servers wrote, and the
 * data directories the servers kept their stores in. Written on exit, only when `GATEHOUSE_LEAK_DIR` is set.
 */
const DIR = process.env['GATEHOUSE_LEAK_DIR'];
const secrets = new Set<string>();
const secretSources: Array<() => Iterable<string>> = [];
const logSources: Array<() => Iterable<string>> = [];
const dataDirs = new Set<string>();

export function noteSecret(value: unknown): void {
  if (DIR && typeof value === 'string') secrets.add(value);
}

/** Secrets known only later (a fixture's issued tokens): read at exit. */
export function noteSecretSource(source: () => Iterable<string>): void {
  if (DIR) secretSources.push(source);
}

/** A server's log lines (a live array, or a function giving its output): read at exit. */
export function noteLogs(source: string[] | (() => string)): void {
  if (!DIR) return;
  logSources.push(Array.isArray(source) ? () => source : () => source().split('\n'));
}

export function noteDataDir(dir: string): void {
  if (DIR) dataDirs.add(dir);
}

if (DIR) {
  process.on('exit', () => {
    for (const source of secretSources) for (const secret of source()) secrets.add(secret);
    const logs = logSources.flatMap((source) => [...source()]);
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, `${process.pid}-${randomBytes(4).toString('hex')}.json`);
    writeFileSync(file, JSON.stringify({ secrets: [...secrets], logs, dataDirs: [...dataDirs] }));
  });
}
