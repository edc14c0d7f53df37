import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCaller } from '../../src/index.js';
import { useJwtServer } from '../helpers/server.js';
import { callTool } from '../checklist/support.js';

/**
 * Every string reachable from `value`: own properties and accessors along the prototype chain (getters are
 * read), Headers, Maps and Sets, to a fixed depth, each object once. What a tool could find by looking.
 */
function reachableStrings(value: unknown, found: string[] = [], seen = new Set<object>(), depth = 0): string[] {
  if (typeof value === 'string') {
    found.push(value);
    return found;
  }
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return found;
  if (seen.has(value) || depth > 10) return found;
  seen.add(value);
  if (typeof value === 'function') return found; // never called: a tool calling upstream.accessToken() is the accessor at work
  if (value instanceof Headers) {
    value.forEach((header, name) => {
      found.push(name, header);
    });
  }
  if (value instanceof Map) for (const [key, item] of value) reachableStrings([key, item], found, seen, depth + 1);
  if (value instanceof Set) for (const item of value) reachableStrings(item, found, seen, depth + 1);
  for (let layer: object | null = value; layer !== null && layer !== Object.prototype; layer = Object.getPrototypeOf(layer)) {
    for (const key of Reflect.ownKeys(layer)) {
      if (key === 'constructor') continue;
      let item: unknown;
      try {
        item = Reflect.get(value, key);
      } catch {
        continue; // a getter that only works on another receiver
      }
      found.push(String(key));
      reachableStrings(item, found, seen, depth + 1);
    }
  }
  return found;
}

/** JSON of anything, cycles cut: what a tool that logs or returns its context would show. */
function json(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[cycle]';
      seen.add(item);
    }
    return typeof item === 'bigint' ? String(item) : item;
  });
}

/**
 * MCP 2026-07-28 forbids token passthrough: a tool (or any other handler) is told who is calling, never handed
 * the client's access token to forward. A tool that dumps everything it can reach — its context, the caller,
 * the request it sees, `getCaller()` — must not find the token, nor its signature.
 */
describe('no token passthrough: what a tool can reach never holds the access token', () => {
  const fixture = useJwtServer({
    callerContext: true,
    setup: (server) =>
      server.tool('dump', { scopes: ['read:whoami'] }, (_args, ctx) => {
        const everything = { ctx, current: getCaller(), authInfo: ctx.http?.authInfo, request: ctx.http?.req };
        return {
          json: json(everything),
          strings: reachableStrings(everything),
          authInfoToken: ctx.http?.authInfo?.token ?? null,
          subject: ctx.caller?.subject ?? null,
        };
      }),
  });

  it('neither the JSON of the context nor any property reached from it (getters included) holds the token', async () => {
    const { issuer, server } = fixture;
    const token = await issuer.token(server.urls.resource, { sub: 'passthrough-subject' });
    const signature = token.split('.')[2]!;
    const answer = await callTool(server.urls.resource, token, 'dump');
    assert.equal(answer.status, 200, answer.body.slice(0, 300));
    const dump = answer.result as { json: string; strings: string[]; authInfoToken: string | null; subject: string | null };

    // The dump is real: the tool was told who is calling, and it reached the request and the caller's claims.
    assert.equal(dump.subject, 'passthrough-subject');
    assert.ok(dump.strings.includes('passthrough-subject'));
    assert.ok(dump.strings.length > 50, `a walk of the whole context (${dump.strings.length} strings)`);
    assert.match(dump.json, /passthrough-subject/);

    for (const [where, text] of [
      ['JSON', dump.json],
      ['walk', dump.strings.join('\n')],
    ] as const) {
      assert.ok(!text.includes(token), `${where}: the token is not there`);
      assert.ok(!text.includes(signature), `${where}: nor its signature`);
    }
    assert.equal(dump.authInfoToken, '', 'AuthInfo.token is the empty string');
  });
});
