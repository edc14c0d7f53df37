import { readFileSync } from 'node:fs';

/** The fields of this package's package.json the CLI reads (the same path from src/cli and dist/cli). */
export interface PackageJson {
  version: string;
  engines?: { node?: string };
}

export function readPackageJson(): PackageJson {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;
}
