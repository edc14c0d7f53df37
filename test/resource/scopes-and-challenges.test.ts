import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bearerChallenge, dangerouslyStaticTokens, expandScopes, InvalidTokenError, missingScopes, parseScopes, serverUrls } from '../../src/index.js';
import { protectedResourceMetadata } from '../../src/resource/metadata.js';

describe('scopes', () => {
  it('parses space-delimited strings and arrays, dropping duplicates and invalid tokens', () => {
    assert.deepEqual(parseScopes('a  b a'), ['a', 'b']);
    assert.deepEqual(parseScopes(['a b', 'c', 7]), ['a', 'b', 'c']);
    assert.deepEqual(parseScopes('ok "quoted" back\\slash'), ['ok']);
    assert.deepEqual(parseScopes(undefined), []);
  });

  it('applies a hierarchy transitively and survives cycles', () => {
    const hierarchy = { admin: ['write'], write: ['read'], read: ['admin'] };
    assert.deepEqual([...expandScopes(['write'], hierarchy)].sort(), ['admin', 'read', 'write']);
    assert.deepEqual(missingScopes(['admin'], ['read', 'other'], { admin: ['write'], write: ['read'] }), ['other']);
  });

  it('never reports a granted scope as missing, and reports every ungranted one (property)', () => {
    const scope = fc.stringMatching(/^[a-z:]{1,8}$/);
    fc.assert(
      fc.property(fc.array(scope), fc.array(scope), (granted, required) => {
        const missing = missingScopes(granted, required);
        return required.every((r) => granted.includes(r) !== missing.includes(r));
      }),
    );
  });
});

describe('WWW-Authenticate builder', () => {
  it('builds the discovery challenge without error information', () => {
    assert.equal(
      bearerChallenge({ scopes: ['a', 'b'], resourceMetadata: 'https://x/.well-known/oauth-protected-resource/mcp' }),
      'Bearer scope="a b", resource_metadata="https://x/.well-known/oauth-protected-resource/mcp"',
    );
    assert.equal(bearerChallenge({}), 'Bearer');
  });

  it('always yields a single well-formed header value, whatever the description (property)', () => {
    const authParam = /^Bearer( [a-z_]+="(?:[^"\\]|\\.)*"(, [a-z_]+="(?:[^"\\]|\\.)*")*)?$/;
    fc.assert(
      fc.property(fc.string(), fc.array(fc.stringMatching(/^[!#-[\]-~]{1,6}$/)), (description, scopes) => {
        const header = bearerChallenge({ error: 'invalid_token', errorDescription: description, scopes });
        return authParam.test(header) && !/[\r\n]/.test(header) && /^[\x20-\x7E]*$/.test(header);
      }),
    );
  });
});

describe('URL model and metadata', () => {
  it('derives the resource identifier and both metadata URLs from publicUrl + mcpPath', () => {
    const urls = serverUrls('HTTPS://MCP.Example.com:443/', 'mcp/');
    assert.equal(urls.resource, 'https://mcp.example.com/mcp');
    assert.equal(urls.resourceMetadata, 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp');
    assert.equal(urls.rootResourceMetadata, 'https://mcp.example.com/.well-known/oauth-protected-resource');
    assert.equal(serverUrls('http://localhost:8000/team/', '/mcp').resource, 'http://localhost:8000/team/mcp');
    assert.throws(() => serverUrls('ftp://x'), /http/);
    assert.throws(() => serverUrls('https://u:p@x'), /credentials/);
  });

  it('never advertises offline_access', () => {
    const dpop = { algorithms: ['ES256'], required: false };
    const doc = protectedResourceMetadata(serverUrls('https://x'), ['https://as'], ['read:whoami', 'offline_access'], dpop);
    assert.deepEqual(doc.scopes_supported, ['read:whoami']);
    assert.throws(() => protectedResourceMetadata(serverUrls('https://x'), [], [], dpop), /at least one/);
  });
});

describe('static tokens (development only)', () => {
  it('maps fixed tokens to identities and refuses everything else', async () => {
    const verifier = dangerouslyStaticTokens({ 'dev-token-0123456789': { subject: 'dev', scopes: ['read:whoami'] } });
    assert.match(verifier.description, /DANGEROUS/);
    assert.equal((await verifier.verify('dev-token-0123456789')).subject, 'dev');
    await assert.rejects(verifier.verify('dev-token-012345678'), InvalidTokenError);
    assert.throws(() => dangerouslyStaticTokens({ short: { subject: 'x' } }), /16 characters/);
  });
});
