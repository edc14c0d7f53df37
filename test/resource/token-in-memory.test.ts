import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nextMessage, stopChild } from '../../bench/common.js';
import { TestIssuer } from '../helpers/issuer.js';
import { MCP_HEADERS, rawRequest } from '../helpers/server.js';

const PROBE = fileURLToPath(new URL('../helpers/heap-probe-server.ts', import.meta.url));
const SUBJECT = 'heap-probe-subject-7f3a';

/**
 * The verification cache is keyed by the token's SHA-256 so that a verified token is not kept in the clear:
 * a heap dump, a core file or a debugger attached to the server must not hand out working bearer tokens. The
 * server answers from the cache, so it remembers the token — but only as its hash and the claims it carried;
 * and what it hands a tool (the caller, an AuthInfo whose `token` is empty) never held the token to begin with.
 */
describe('a verified token in the server memory', () => {
  let issuer: TestIssuer;
  let server: ChildProcess;
  let resourceUrl: string;

  before(async () => {
    issuer = await TestIssuer.start();
    server = fork(PROBE, [issuer.url, issuer.jwksUri], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    ({ resource: resourceUrl } = await nextMessage<{ resource: string }>(server));
  });
  after(async () => {
    await stopChild(server);
    await issuer.close();
  });

  it('is kept only as a hash and its claims, never in the clear', async () => {
    const token = await issuer.token(resourceUrl, { sub: SUBJECT, expiresIn: 600 });
    const call = (authorization?: string) =>
      rawRequest(resourceUrl, {
        method: 'POST',
        // A connection per request, closed after it: no socket holds on to the last request it read.
        headers: { ...MCP_HEADERS, 'mcp-protocol-version': '2025-11-25', connection: 'close', ...(authorization && { authorization }) },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
      });
    for (let i = 0; i < 3; i++) {
      const answer = await call(`Bearer ${token}`);
      assert.equal(answer.status, 200, answer.body);
      assert.match(answer.body, new RegExp(SUBJECT));
    }
    // The server carries on with other work, as it would: a request without a token.
    assert.equal((await call()).status, 401);

    server.send('snapshot');
    const { snapshot } = await nextMessage<{ snapshot: string }>(server);
    try {
      const heap = readFileSync(snapshot, 'utf8');
      assert.ok(heap.includes(SUBJECT), 'the snapshot holds the cached claims (so it is a real picture of the cache)');
      const signature = token.split('.')[2]!;
      assert.ok(signature.length > 0);
      assert.ok(!heap.includes(token), 'the whole token is nowhere in the heap');
      assert.ok(!heap.includes(signature), 'nor its signature, the part that makes it work');
    } finally {
      rmSync(dirname(snapshot), { recursive: true, force: true });
    }
  });
});
