import { closeSync, existsSync, mkdirSync, openSync, realpathSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { ConfigError, describeSetting } from '../config/load.js';
import type { GatehouseConfig } from '../config/schema.js';
import { isSharedStoreUrl } from '../store/index.js';

/** The data directory a command will use, and whether this command just made it. */
export interface DataDir {
  path: string;
  created: boolean;
}

/** A shared store (Redis, PostgreSQL) keeps the embedded server's data and keys itself; the others leave the keys in the data directory. */
function keptInSharedStore(config: GatehouseConfig): boolean {
  return config.store !== undefined && isSharedStoreUrl(config.store);
}

/** Whether the commands that open the server's data (users, clients, token, keys, audit) find it in the data directory. */
export function dataInDataDir(config: GatehouseConfig): boolean {
  return !keptInSharedStore(config);
}

/** Whether `gatehouse serve` keeps anything in the data directory: its store and keys, or the development key. */
export function serveUsesDataDir(config: GatehouseConfig): boolean {
  if (config.stdio) return false;
  return config.mode === 'resource' ? config.devKeys : dataInDataDir(config);
}

/** Kernel file systems: a data directory there is a mistake, and creating one can spin forever (mkdir on /proc). */
const KERNEL_PATHS = ['/proc', '/sys', '/dev'];
/** …except this one, an ordinary tmpfs. */
const ORDINARY_UNDER_KERNEL_PATHS = ['/dev/shm'];
/** statfs magic numbers of Linux's kernel file systems (proc, sysfs, cgroup v1 and v2, debugfs, tracefs, devpts, securityfs, bpf). */
const KERNEL_FILE_SYSTEMS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x74726163, 0x1cd1, 0x73636673, 0xcafe4a11]);

const under = (path: string, root: string) => path === root || path.startsWith(`${root}${sep}`);

/** The directory itself, or the nearest of its parents that exists, with symbolic links resolved. */
function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return realpathSync(current);
}

function onKernelFileSystem(path: string): boolean {
  const real = nearestExisting(path);
  for (const candidate of [path, real]) {
    if (ORDINARY_UNDER_KERNEL_PATHS.some((root) => under(candidate, root))) return false;
    if (KERNEL_PATHS.some((root) => under(candidate, root))) return true;
  }
  if (process.platform !== 'linux') return false;
  return KERNEL_FILE_SYSTEMS.has(Number(statfsSync(real).type));
}

/** Write and remove a file in the directory: the only sure test (permissions, read-only mounts, root squash). */
function writeProblem(dir: string): string | undefined {
  const probe = join(dir, `.gatehouse-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error';
  }
}

function refuse(problem: string): ConfigError {
  return new ConfigError([`${describeSetting('dataDir')}: ${problem}`]);
}

/**
 * Check the data directory before anything opens it, and create it when `create` (only `gatehouse serve` does):
 * a mistyped path must not become an empty store in silence, nor hang, nor fail later with a bare errno.
 */
export function prepareDataDir(dataDir: string, options: { create: boolean }): DataDir {
  const path = resolve(dataDir);
  const fix = 'choose a directory on disk this user can write to, e.g. --data-dir ./.gatehouse';
  if (onKernelFileSystem(path)) return fail(`${path} is on a kernel file system (/proc, /sys, /dev…), which cannot hold data: ${fix}`);
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) return fail(`${path} is a file, not a directory: ${fix}`);
  if (!existing) {
    if (!options.create) {
      return fail(
        `${path} does not exist: give the directory your server uses (where \`gatehouse serve\` created it), or run \`gatehouse serve --data-dir ${dataDir}\` once to create it`,
      );
    }
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      return fail(`${path} cannot be created (${code}): ${fix}`);
    }
  }
  const problem = writeProblem(path);
  if (problem) return fail(`${path} is not writable by this user (${problem}): give this user write access to it (chown/chmod), or ${fix}`);
  return { path, created: !existing };

  function fail(message: string): never {
    throw refuse(message);
  }
}
