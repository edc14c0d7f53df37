// The library as it was at a pinned commit, checked out in a temporary directory so that the bench can serve it
// beside this tree's own src. Runtime dependencies are the same at both commits (bench/README.md), so the checkout
// borrows this tree's node_modules through a symlink.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The commit the fast-path work is measured against: the last one before it. */
export const BASELINE_COMMIT = '3de8939bed21da191853e803840e6cb71fc1c30c';
/** This tree: its src is "now". */
export const CURRENT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Checkout {
  root: string;
  remove(): void;
}

/** The files of `commit` (git archive, so the repository's worktrees and index are left alone) in a fresh temporary directory. */
export function checkoutBaseline(commit = BASELINE_COMMIT): Checkout {
  const git = (...args: string[]) => execFileSync('git', ['-C', CURRENT_ROOT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    git('cat-file', '-e', `${commit}^{commit}`);
  } catch {
    throw new Error(`the baseline commit ${commit} is not in this clone: fetch the full history (git fetch --unshallow)`);
  }
  const root = mkdtempSync(join(tmpdir(), 'gatehouse-baseline-'));
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    const tar = join(root, 'baseline.tar');
    git('archive', '--format=tar', `--output=${tar}`, commit);
    execFileSync('tar', ['-xf', tar, '-C', root]);
    rmSync(tar);
    symlinkSync(realpathSync(join(CURRENT_ROOT, 'node_modules')), join(root, 'node_modules'), 'dir');
    return { root, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
