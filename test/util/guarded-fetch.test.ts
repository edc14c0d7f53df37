import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { guardedFetch, OUTBOUND_FETCH_LIMITS } from '../../src/util/guarded-fetch.js';

/**
 * The guarded fetcher against a name resolver the test controls. Every address the name resolves to is checked,
 * and the resolver is asked once per fetch: the socket goes to an address from that one answer, so a DNS server
 * that answers differently the next time (rebinding) is never asked again between the check and the connect.
 * Only loopback is ever connected to; the outside addresses in the answers are never contacted because the
 * answers they are in are refused.
 */
describe('guarded fetch: name resolution', () => {
  let target: Server;
  let port = 0;
  let connections = 0;

  before(async () => {
    target = createServer((_req, res) => res.end('{}'));
    target.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    port = (target.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => target.close(() => resolve())));

  /** A resolver that gives these answers in turn, and counts how often it was asked. */
  const resolver = (...answers: LookupAddress[][]) => {
    const asked: string[] = [];
    const lookup = ((hostname: string, _options: unknown, callback: (error: null, addresses: LookupAddress[]) => void) => {
      asked.push(hostname);
      callback(null, answers[Math.min(asked.length - 1, answers.length - 1)]!);
    }) as never;
    return { asked, lookup };
  };

  it('a name with one outside and one loopback address is refused before any connection, after one lookup', async () => {
    const { asked, lookup } = resolver([
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '127.0.0.1', family: 4 },
    ]);
    const fetchFor = guardedFetch({ ...OUTBOUND_FETCH_LIMITS, lookup });
    const before = connections;
    await assert.rejects(fetchFor(`https://metadata.test:${port}/client.json`), /special-use address \(127\.0\.0\.1\)/);
    assert.deepEqual(asked, ['metadata.test']);
    assert.equal(connections, before, 'nothing was connected to');
  });

  it('with the development option the name connects to the one address it resolved to, asked once', async () => {
    // A rebinding resolver: loopback first, then an outside address. The fetcher must use its first answer only.
    const { asked, lookup } = resolver([{ address: '127.0.0.1', family: 4 }], [{ address: '2606:4700:4700::1111', family: 6 }]);
    const fetchFor = guardedFetch({ ...OUTBOUND_FETCH_LIMITS, lookup, dangerouslyAllowPrivateAddresses: true });
    const before = connections;
    const response = await fetchFor(`http://metadata.test:${port}/client.json`);
    assert.equal(await response.text(), '{}');
    assert.deepEqual(asked, ['metadata.test'], 'one lookup for one fetch');
    assert.equal(connections, before + 1);
  });

  it('refuses plain http, credentials in the URL, and methods other than GET without the option', async () => {
    const fetchFor = guardedFetch(OUTBOUND_FETCH_LIMITS);
    await assert.rejects(fetchFor(`http://127.0.0.1:${port}/`), /only https/);
    await assert.rejects(fetchFor(`https://user:pass@example.test/`), /credentials/);
    await assert.rejects(fetchFor('https://example.test/', { method: 'POST', body: 'x' }), /only GET/);
  });
});
