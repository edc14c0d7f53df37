import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A Node.js binary of the given version from the npm registry (the `node-<platform>-<arch>` packages the `node`
 * package installs from), kept under ~/.cache/gatehouse like the Node 22 that .ci/run provisions, so only the
 * first run downloads it.
 */
export async function nodeFromRegistry(version: string): Promise<string> {
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = join(homedir(), '.cache', 'gatehouse', `node${version}`);
  const binary = join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(prefix, { recursive: true });
  await promisify(execFile)('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `${pkg}@${version}`], { timeout: 240_000 });
  if (!existsSync(binary)) throw new Error(`npm installed ${pkg}@${version} into ${prefix}, but ${binary} is not there`);
  return binary;
}
