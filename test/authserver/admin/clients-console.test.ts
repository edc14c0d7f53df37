import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { nativeClientMetadata, registerClient } from '../../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../../helpers/embedded-server.js';
import { captureLogger } from '../../helpers/server.js';
import { ADMIN, adminBrowser, startWithAdmin, auditEvents, page, post, textOf } from './console-fixture.js';

const discovery = async (server: EmbeddedTestServer) =>
  (await (await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;

describe('the admin console: clients and the client policy', () => {
  let server: EmbeddedTestServer;
  let adminId: string;
  before(async () => {
    ({ server, adminId } = await startWithAdmin());
  });
  after(async () => server?.close());

  it('lists every client with its kind and last use, self-registered ones too', async () => {
    const registered = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb', { client_name: 'Notes Desktop' }));
    const clientId = String(registered.body['client_id']);
    await new AuditLog(server.store, captureLogger().logger).record({ type: 'token.issued', clientId });
    const { browser } = await adminBrowser(server);
    const clients = page(await browser.navigate(`${server.urls.issuer}/admin/clients`));
    assert.equal(clients.status, 200);
    const row = new RegExp(`Notes Desktop ${clientId} registered itself (\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC)`).exec(textOf(clients));
    assert.ok(row, textOf(clients));
  });

  it('adds a client from a preset and shows the paste-ready config, then removes it, on the record', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const added = page(await post(browser, server, '/admin/clients/add', { csrf, preset: 'claude-code', name: '' }));
    assert.equal(added.status, 200);
    const [record] = (await server.clients.list()).filter((c) => c.gatehouse_preset === 'claude-code');
    assert.ok(record);
    const shown = textOf(added);
    assert.match(shown, new RegExp(`client_id: ${record.client_id}`));
    assert.ok(shown.includes(server.urls.resource), 'the config names the MCP URL');
    assert.match(shown, /claude mcp add/);

    page(await post(browser, server, '/admin/clients/remove', { csrf, client_id: record.client_id }));
    assert.equal(await server.clients.find(record.client_id), undefined);
    const events = (await auditEvents(server)).filter((e) => e.clientId === record.client_id && e.actor === adminId).map((e) => e.type);
    assert.deepEqual(events.reverse(), ['client.registered', 'client.removed']);
  });

  it('turns dynamic registration off and on again without a restart, showing where the setting comes from', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const before = page(await browser.navigate(`${server.urls.issuer}/admin/clients`));
    assert.match(textOf(before), /Dynamic registration: on \(the start-up setting\)/);
    const fields = { csrf, dynamic_registration: 'off', client_metadata_documents: 'settings', hosts: '' };
    const saved = page(await post(browser, server, '/admin/clients/policy', fields));
    assert.match(textOf(saved), /Dynamic registration: off \(set here\)/);
    assert.equal((await discovery(server))['registration_endpoint'], undefined);
    assert.notEqual((await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb'))).status, 201);

    page(await post(browser, server, '/admin/clients/policy', { ...fields, dynamic_registration: 'settings' }));
    assert.equal((await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb'))).status, 201);
    const changes = (await auditEvents(server)).filter((e) => e.type === 'client.policy_changed' && e.actor === adminId);
    assert.equal(changes.length, 2);
    assert.match(changes[1]!.reason ?? '', /dynamic registration off/);
  });

  it('admits only the allowed clients to register themselves: by preset or by host', async () => {
    const { browser, csrf } = await adminBrowser(server);
    const fields = { csrf, dynamic_registration: 'settings', client_metadata_documents: 'settings', 'preset_claude-code': 'on', hosts: 'app.example.com' };
    page(await post(browser, server, '/admin/clients/policy', fields));
    const other = await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb'));
    assert.equal(other.status, 400);
    assert.equal(other.body['error'], 'invalid_client_metadata');
    assert.equal((await registerClient(server, nativeClientMetadata('http://localhost:4567/callback', { client_name: 'Claude Code' }))).status, 201);
    const byHost = await registerClient(server, { ...nativeClientMetadata('https://app.example.com/cb'), application_type: 'web' });
    assert.equal(byHost.status, 201, JSON.stringify(byHost.body));
    const page2 = page(await browser.navigate(`${server.urls.issuer}/admin/clients`));
    assert.match(page2.body, /name="preset_claude-code" value="on" checked/);

    const bad = page(await post(browser, server, '/admin/clients/policy', { ...fields, hosts: 'https://evil.example/path' }));
    assert.equal(bad.status, 400);
    page(await post(browser, server, '/admin/clients/policy', { csrf, dynamic_registration: 'settings', client_metadata_documents: 'settings', hosts: '' }));
    assert.equal((await registerClient(server, nativeClientMetadata('http://127.0.0.1/cb'))).status, 201, 'no allowlist: any client');
  });
});

describe('a client policy saved on one replica applies on another', () => {
  let first: EmbeddedTestServer;
  let second: EmbeddedTestServer;
  before(async () => {
    first = await startEmbedded({ keyReloadSeconds: 1 });
    second = await startEmbedded({ keyReloadSeconds: 1, store: first.store, dataDir: first.dataDir });
    await first.accounts.create(ADMIN, PASSWORD, { admin: true });
  });
  after(async () => {
    await second?.close();
    await first?.close();
  });

  it('turns registration off on the other replica at its next check', async () => {
    const { browser, csrf } = await adminBrowser(first);
    page(await post(browser, first, '/admin/clients/policy', { csrf, dynamic_registration: 'off', client_metadata_documents: 'settings', hosts: '' }));
    // The other replica checks every second; wait for it to notice (the wait has no bearing on what is asserted).
    let metadata = await discovery(second);
    for (let i = 0; i < 100 && metadata['registration_endpoint'] !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metadata = await discovery(second);
    }
    assert.equal(metadata['registration_endpoint'], undefined);
  });
});
