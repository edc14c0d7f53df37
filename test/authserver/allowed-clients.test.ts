import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveClientPolicy, isAllowedClient, isHostName } from '../../src/authserver/clients/stored-client-policy.js';

describe('the allowed clients of the client policy', () => {
  const allowed = { presets: ['claude-code'], hosts: ['app.example.com'] };

  it("admits a registration whose redirect URIs are all an allowed preset's, or all on an allowed host", () => {
    assert.ok(isAllowedClient(allowed, ['http://localhost:5123/callback']));
    assert.ok(isAllowedClient(allowed, ['https://app.example.com/cb', 'https://app.example.com/other']));
    assert.ok(!isAllowedClient(allowed, ['https://app.example.com/cb', 'https://evil.example/cb']), 'one URI elsewhere is enough to refuse');
    assert.ok(!isAllowedClient(allowed, ['https://app.example.com.evil.example/cb']));
    assert.ok(!isAllowedClient(allowed, ['http://127.0.0.1/cb']));
    assert.ok(!isAllowedClient(allowed, []), 'no redirect URIs: nothing vouches for it');
  });

  it('admits a metadata document by its host, whatever redirect URIs it lists', () => {
    assert.ok(isAllowedClient(allowed, ['http://127.0.0.1/cb'], 'https://app.example.com/client.json'));
    assert.ok(!isAllowedClient({ presets: [], hosts: ['app.example.com'] }, ['https://app.example.com/cb'], 'https://evil.example/client.json'));
  });

  it('takes plain host names only', () => {
    assert.ok(isHostName('claude.ai'));
    assert.ok(isHostName('localhost'));
    for (const bad of ['https://claude.ai', 'claude.ai/path', 'claude.ai:443', '*.example.com', 'Claude.AI', '']) assert.ok(!isHostName(bad), bad);
  });

  it('lets the start-up settings decide what the console left unset, and says which applies', () => {
    const settings = { dynamicRegistration: false, clientMetadataDocuments: true };
    assert.deepEqual(effectiveClientPolicy(settings, {}), { ...settings, from: { dynamicRegistration: 'settings', clientMetadataDocuments: 'settings' } });
    const overridden = effectiveClientPolicy(settings, { dynamicRegistration: true, clientMetadataDocuments: false });
    assert.equal(overridden.dynamicRegistration, true);
    assert.equal(overridden.clientMetadataDocuments, false);
    assert.deepEqual(overridden.from, { dynamicRegistration: 'console', clientMetadataDocuments: 'console' });
  });
});
