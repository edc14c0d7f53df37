import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * A Lua script of `./scripts/`, run by its SHA1 and sent in full only when the server does not have it cached
 * (e.g. after a restart). Read relative to this module, so it works from `src/` and from `dist/` (the build
 * copies the `.lua` files next to the compiled code).
 */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  constructor(readonly name: string) {
    this.source = readFileSync(new URL(`./scripts/${name}.lua`, import.meta.url), 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }
}

/** Each script's KEYS and ARGV are described at the top of its file. */
export const scripts = {
  get: new LuaScript('get'),
  set: new LuaScript('set'),
  setIfAbsent: new LuaScript('set-if-absent'),
  delete: new LuaScript('delete'),
  consume: new LuaScript('consume'),
  list: new LuaScript('list'),
  readRecords: new LuaScript('read-records'),
  addToGroup: new LuaScript('add-to-group'),
  purgeGroup: new LuaScript('purge-group'),
  increment: new LuaScript('increment'),
} as const;
