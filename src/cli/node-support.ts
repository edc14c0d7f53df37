import { readPackageJson } from './package-json.js';

/**
 * Which Node.js releases Gatehouse runs on, read from package.json's `engines.node` (the one place it is written).
 * This module is loaded by bin/gatehouse.js before anything else, on whatever Node the person has: it imports
 * nothing but node:fs (through package-json.ts), so an older Node gets one plain line instead of a failed import of node:sqlite.
 *
 * Why the floor is where it is: node:sqlite needs no flag from 22.13; DatabaseSync#isTransaction (the SQLite
 * store's group commit) arrives in 22.16 and 24.0; an upsert with `RETURNING` and reused numbered parameters (the
 * store's counters) fails with "column index out of range" before 22.20 and 24.7; oidc-provider supports LTS
 * releases only, and 24.x became LTS with 24.11. Node 23 has the same SQLite fault and is out of support.
 */

/** Where to get a supported Node, said in the refusal. */
export const NODE_DOWNLOAD_HINT = 'install the current LTS release from https://nodejs.org/en/download (or `nvm install --lts`)';

type Version = readonly [number, number, number];

/** One alternative of the range: `^22.20.0` (that major, from there) or `>=24.11.0` (from there on). */
interface Alternative {
  from: Version;
  sameMajorOnly: boolean;
}

function parseVersion(text: string): Version {
  const parts = text.trim().replace(/^v/, '').split('.').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`not a version: ${text}`);
  return [parts[0]!, parts[1]!, parts[2]!];
}

/** The forms package.json uses, and only those: an unexpected one fails loudly instead of admitting anything. */
export function parseNodeRange(range: string): Alternative[] {
  return range.split('||').map((part) => {
    const match = /^\s*(\^|>=)\s*(\d+\.\d+\.\d+)\s*$/.exec(part);
    if (!match) throw new Error(`engines.node: "${part.trim()}" is not of the form ^X.Y.Z or >=X.Y.Z`);
    return { from: parseVersion(match[2]!), sameMajorOnly: match[1] === '^' };
  });
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  return parseNodeRange(range).some(({ from, sameMajorOnly }) => compare(v, from) >= 0 && (!sameMajorOnly || v[0] === from[0]));
}

/** `22.20 or newer within 22.x, or 24.11 or newer`: the range as a person reads it. */
export function describeNodeRange(range: string): string {
  return parseNodeRange(range)
    .map(({ from, sameMajorOnly }) => `${from[0]}.${from[1]}${sameMajorOnly ? ` or a later ${from[0]}.x` : ' or newer'}`)
    .join(', or ');
}

export function supportedNodeRange(): string {
  const range = readPackageJson().engines?.node;
  if (!range) throw new Error('package.json has no engines.node');
  return range;
}

/** What is wrong with this Node for Gatehouse, in one line with the fix, or undefined when it is supported. */
export function nodeSupportProblem(version: string = process.versions.node, range: string = supportedNodeRange()): string | undefined {
  if (satisfies(version, range)) return undefined;
  return `this is Node.js ${version}; Gatehouse needs Node.js ${describeNodeRange(range)} (engines ${range}): ${NODE_DOWNLOAD_HINT}`;
}
