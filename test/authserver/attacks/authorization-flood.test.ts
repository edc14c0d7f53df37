import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { authorizationUrl, obtainTokens } from '../../helpers/authorize.js';
import { startAttackServer, type AttackServer } from './fixture.js';

/**
 * Unauthenticated work is bounded (item 14): every authorization request leaves an Interaction record in the
 * store for its lifetime. A flood from one address is cut off with 429, the records it leaves stay within the
 * limit, and a person at another address still signs in and gets tokens.
 */
describe('attacks: a flood of authorization requests', () => {
  const LIMIT = 10;
  let server: AttackServer;

  before(async () => {
    server = await startAttackServer({ authorizationRequestsPerMinute: LIMIT });
  });
  after(async () => {
    await server?.close();
  });

  /** A GET from another loopback address than the person's (127.0.0.2): a real second party to the server. */
  function getFrom(localAddress: string, url: URL) {
    return new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: server.port, path: `${url.pathname}${url.search}`, localAddress, headers: { host: url.host } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  async function interactionRecords(): Promise<number> {
    let count = 0;
    for await (const entry of server.store.entries()) if (entry.type === 'record' && entry.kind === 'Interaction') count++;
    return count;
  }

  it('14 the flood gets 429 with Retry-After, leaves at most the limit in Interaction records, and another address still completes its flow', async () => {
    const before = await interactionRecords();
    const responses = [];
    for (let i = 0; i < LIMIT * 4; i++) responses.push(await getFrom('127.0.0.2', authorizationUrl(server.flow).url));
    const statuses = responses.map((r) => r.status);
    assert.deepEqual(statuses.slice(0, LIMIT), Array(LIMIT).fill(303), 'the first requests start an interaction each');
    assert.deepEqual(statuses.slice(LIMIT), Array(LIMIT * 3).fill(429), 'the rest are refused');
    assert.ok(Number(responses.at(-1)!.retryAfter) >= 1, 'with Retry-After');
    const left = (await interactionRecords()) - before;
    assert.ok(left > 0 && left <= LIMIT, `${left} interaction records left by ${LIMIT * 4} requests`);

    // The person, at 127.0.0.1, is not held up by the flood from 127.0.0.2.
    const tokens = await obtainTokens(server.flow);
    assert.ok(tokens.accessToken, 'the other address got its tokens');
  });

  it('14 POST to the authorization endpoint counts against the same limit', async () => {
    const url = authorizationUrl(server.flow).url;
    const response = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path: url.pathname,
          method: 'POST',
          localAddress: '127.0.0.2',
          headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(url.searchParams.toString());
    });
    assert.equal(response, 429);
  });
});
