import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { registerClient } from '../../helpers/authorize.js';
import { startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { captureLogger } from '../../helpers/server.js';

/**
 * Forwarded headers (item 7): behind trusted proxies the client's address is read from the right of
 * X-Forwarded-For / Forwarded, so entries a client writes itself (on the left) change nothing. The test plays a
 * proxy on loopback that appends the real client's address, as nginx's `$proxy_add_x_forwarded_for` does.
 */
describe('attacks: forged forwarded headers', () => {
  const servers: EmbeddedTestServer[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });

  async function start(options: Parameters<typeof startEmbedded>[0]) {
    const server = await startEmbedded({ registrationsPerHour: 3, ...options });
    servers.push(server);
    return server;
  }

  const metadata = (name: string) => ({ client_name: name, redirect_uris: ['https://app.test/cb'], token_endpoint_auth_method: 'none' });

  /** Register `count` times with these headers each time; the statuses. */
  async function register(server: EmbeddedTestServer, count: number, headers: (i: number) => Record<string, string>): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await registerClient(server, metadata(`Client ${i}`), headers(i))).status);
    return statuses;
  }

  async function registrationAddresses(server: EmbeddedTestServer): Promise<Array<string | undefined>> {
    const audit = new AuditLog(server.store, captureLogger().logger);
    return (await audit.list({ type: 'client.registered', limit: 100 })).map((event) => event.address);
  }

  it('7 a client behind a trusted proxy cannot dodge the registration limit with forged X-Forwarded-For entries on the left', async () => {
    const server = await start({ trustProxy: ['127.0.0.1'] });
    const statuses = await register(server, 6, (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.7` }));
    assert.deepEqual(statuses, [201, 201, 201, 429, 429, 429]);
    // Another client behind the same proxy is counted on its own.
    assert.deepEqual(await register(server, 1, () => ({ 'x-forwarded-for': '203.0.113.8' })), [201]);
  });

  it('7 forged entries cannot poison the audit trail: it records the address the trusted proxy saw', async () => {
    const server = await start({ trustProxy: '127.0.0.0/8, ::1' });
    await register(server, 1, () => ({ 'x-forwarded-for': '10.6.6.6, 192.0.2.66, 203.0.113.9' }));
    assert.deepEqual(await registrationAddresses(server), ['203.0.113.9']);
  });

  it('7 with a hop count, only the entries the proxies appended count: the Nth from the right', async () => {
    const server = await start({ trustProxy: 2 });
    const statuses = await register(server, 5, (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.10, 10.0.0.2` }));
    assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    assert.ok((await registrationAddresses(server)).every((address) => address === '203.0.113.10'));
  });

  it('7 a peer that is not a trusted proxy is the client, whatever it forwards', async () => {
    const server = await start({ trustProxy: '10.0.0.1' });
    const statuses = await register(server, 5, (i) => ({ 'x-forwarded-for': `198.51.100.${i + 1}`, forwarded: `for=198.51.100.${i + 1}` }));
    assert.deepEqual(statuses, [201, 201, 201, 429, 429]);
    assert.ok((await registrationAddresses(server)).every((address) => address === '127.0.0.1'));
  });

  it('7 the same rule for RFC 7239 Forwarded: quoted IPv6 with a port, forged elements on the left, obfuscated nodes', async () => {
    const server = await start({ trustProxy: '127.0.0.1', trustProxyHeader: 'forwarded' });
    // Client A (IPv6, quoted with brackets and a port) rotates forged elements and a forged X-Forwarded-For.
    const a = await register(server, 5, (i) => ({
      forwarded: `for=198.51.100.${i + 1};proto=https, for="[2001:DB8::7]:4711";by=_proxy`,
      'x-forwarded-for': `198.51.100.${i + 1}`,
    }));
    assert.deepEqual(a, [201, 201, 201, 429, 429]);
    // Client B behind the same proxy has its own count.
    assert.deepEqual(await register(server, 1, () => ({ forwarded: 'for=192.0.2.9' })), [201]);
    // A proxy that hides the client (an obfuscated identifier) leaves the proxy's own address: never one the client chose.
    await register(server, 1, () => ({ forwarded: 'for=198.51.100.99, for=_hidden' }));
    const addresses = await registrationAddresses(server);
    assert.deepEqual([...addresses].sort(), ['127.0.0.1', '192.0.2.9', '2001:db8::7', '2001:db8::7', '2001:db8::7']);
  });
});
