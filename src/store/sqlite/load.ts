import { createRequire } from 'node:module';

type Sqlite = typeof import('node:sqlite');
let sqliteModule: Sqlite | undefined;

/**
 * `node:sqlite` is built in (no native addon to compile) but on Node 22 loading it emits an ExperimentalWarning
 * that would land in every operator's logs. We drop exactly that one warning while loading the module and let
 * every other warning through; the wrapper is removed again before this function returns.
 */
export function loadSqlite(): Sqlite {
  if (sqliteModule) return sqliteModule;
  const original = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message;
    const type = typeof warning === 'string' ? rest[0] : warning.name;
    const typeName = typeof type === 'object' && type !== null ? (type as { type?: unknown }).type : type;
    if (typeName === 'ExperimentalWarning' && /sqlite/i.test(message)) return;
    return (original as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    sqliteModule = createRequire(import.meta.url)('node:sqlite') as Sqlite;
  } finally {
    process.emitWarning = original;
  }
  return sqliteModule;
}
