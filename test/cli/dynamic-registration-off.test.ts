import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callMcp, nativeClientMetadata, obtainTokens, registerClient } from '../helpers/authorize.js';
import { PASSWORD } from '../helpers/embedded-server.js';
import { addUser, gatehouseCommand, startGatehouse, type GatehouseProcess } from '../helpers/gatehouse-process.js';
import { HttpsFixture } from '../helpers/https-fixture.js';

const EMAIL = 'ada@example.com';

async function authorizationServerMetadata(server: GatehouseProcess): Promise<Record<string, unknown>> {
  return (await (await fetch(`${server.urls.issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
}

/**
 * `--no-dynamic-registration` (GATEHOUSE_DYNAMIC_REGISTRATION=false): RFC 7591 registration is gone, from the
 * metadata and at /reg, while the other two ways the MCP spec gives clients — pre-registration and Client ID
 * Metadata Documents — still work end to end.
 */
describe('gatehouse serve --no-dynamic-registration', () => {
  let fixture: HttpsFixture;
  let server: GatehouseProcess;
  const callback = 'http://127.0.0.1:53682/callback';

  before(async () => {
    fixture = await HttpsFixture.start();
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-no-dcr-'));
    await addUser(dataDir, EMAIL, PASSWORD);
    server = await startGatehouse({
      dataDir,
      // The metadata document is served from a loopback fixture, which only this option lets the server fetch.
      args: ['--no-dynamic-registration', '--dangerously-allow-loopback-client-metadata'],
      env: { NODE_EXTRA_CA_CERTS: fixture.certPath },
    });
  });

  after(async () => {
    await server?.stop();
    await fixture?.close();
  });

  it('leaves the registration endpoint out of the metadata and answers /reg with 404', async () => {
    const metadata = await authorizationServerMetadata(server);
    assert.equal(metadata['registration_endpoint'], undefined);
    assert.equal(metadata['client_id_metadata_document_supported'], true, 'metadata documents stay on');
    const registration = await registerClient(server, nativeClientMetadata(callback));
    assert.equal(registration.status, 404);
    assert.equal(registration.body['client_id'], undefined, 'no client was made');
  });

  it('still serves a pre-registered client', async () => {
    const added = JSON.parse(
      await gatehouseCommand(['clients', 'add', '--name', 'Ops script', '--redirect-uri', callback, '--json', '--data-dir', server.dataDir]),
    );
    const { accessToken } = await obtainTokens({ server, clientId: added.client_id, redirectUri: callback, email: EMAIL, password: PASSWORD });
    assert.equal((await callMcp(server, accessToken)).status, 200);
  });

  it('still serves a client identified by its metadata document', async () => {
    const path = '/no-dcr-client.json';
    const clientId = fixture.url(path);
    fixture.serve(path, { client_id: clientId, client_name: 'Document app', redirect_uris: [callback], token_endpoint_auth_method: 'none' });
    const { accessToken } = await obtainTokens({ server, clientId, redirectUri: callback, email: EMAIL, password: PASSWORD });
    assert.equal((await callMcp(server, accessToken)).status, 200);
  });

  it('is the same setting in the environment', async () => {
    const other = await startGatehouse({ env: { GATEHOUSE_DYNAMIC_REGISTRATION: 'false' } });
    try {
      assert.equal((await authorizationServerMetadata(other))['registration_endpoint'], undefined);
      assert.equal((await registerClient(other, nativeClientMetadata(callback))).status, 404);
    } finally {
      await other.stop();
    }
  });
});
