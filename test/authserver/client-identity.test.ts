import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIdentity, imitatedPreset, nameSkeleton, presetNamed } from '../../src/authserver/clients/client-identity.js';

describe('client identity: a name is a claim', () => {
  it('folds case, spacing, punctuation, compatibility forms, accents and look-alike letters', () => {
    const claudeCode = nameSkeleton('Claude Code');
    for (const name of [
      'claude code',
      'CLAUDE-CODE',
      'claude_code',
      ' Claude  Code. ',
      'ＣＬＡＵＤＥ ＣＯＤＥ',
      'Сlaude Сode',
      'Claudé Code',
      'C1aude Code',
      'CIaude Code',
      'Claude\u200bCode',
    ]) {
      assert.equal(nameSkeleton(name), claudeCode, name);
    }
    assert.notEqual(nameSkeleton('My Tool'), claudeCode);
  });

  it('knows the presets by their id, display name and other names', () => {
    assert.equal(presetNamed('Claude Code')?.name, 'claude-code');
    assert.equal(presetNamed('claude')?.name, 'claude');
    assert.equal(presetNamed('Claude Desktop')?.name, 'claude');
    assert.equal(presetNamed('Visual Studio Code')?.name, 'vscode');
    assert.equal(presetNamed('ChatGPT')?.name, 'chatgpt');
    assert.equal(presetNamed('My Tool'), undefined);
    assert.equal(presetNamed('???'), undefined);
  });

  it("flags a preset's name only where the redirect URIs are not that app's", () => {
    assert.equal(imitatedPreset('Claude Code', ['https://evil.example/cb'])?.name, 'claude-code');
    assert.equal(imitatedPreset('Claude Code', ['http://127.0.0.1:5000/steal'])?.name, 'claude-code');
    assert.equal(imitatedPreset('Claude Code', ['http://localhost/callback', 'https://evil.example/cb'])?.name, 'claude-code', 'every URI must match');
    assert.equal(imitatedPreset('Claude Code', ['http://localhost:5000/callback', 'http://127.0.0.1/callback']), undefined);
    assert.equal(imitatedPreset('ChatGPT', ['https://chatgpt.com/connector/oauth/abc_123']), undefined);
    assert.equal(imitatedPreset('My Tool', ['https://evil.example/cb']), undefined);
    assert.equal(imitatedPreset(undefined, ['https://evil.example/cb']), undefined);
  });

  it('earns a plain name only from the operator, a matching preset, or a metadata document (with its host)', () => {
    assert.deepEqual(clientIdentity({ clientId: 'client-1', clientName: 'Claude Code', redirectUris: ['https://evil.example/cb'] }, true), {
      name: 'Claude Code',
      source: 'pre-registered',
      verified: true,
    });
    assert.deepEqual(clientIdentity({ clientId: 'dyn', clientName: 'Claude Code', redirectUris: ['http://localhost/callback'] }, false), {
      name: 'Claude Code',
      source: 'preset',
      verified: true,
    });
    assert.deepEqual(
      clientIdentity({ clientId: 'https://tools.example/client.json', clientName: 'Doc App', redirectUris: ['https://tools.example/cb'] }, false),
      {
        name: 'Doc App',
        source: 'metadata-document',
        verified: true,
        documentHost: 'tools.example',
      },
    );
    assert.deepEqual(clientIdentity({ clientId: 'dyn', clientName: 'My Tool', redirectUris: ['https://tools.example/cb'] }, false), {
      name: 'My Tool',
      source: 'dynamic',
      verified: false,
    });
    const impostor = clientIdentity({ clientId: 'dyn', clientName: 'Claude Code', redirectUris: ['https://evil.example/cb'] }, false);
    assert.equal(impostor.verified, false);
    assert.equal(impostor.imitates?.name, 'claude-code');
    assert.equal(clientIdentity({ clientId: 'dyn', redirectUris: [] }, false).name, 'dyn', 'no name: the client id, unverified');
  });
});
