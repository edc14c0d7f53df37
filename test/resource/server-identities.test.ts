import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverIdentities, serverUrls } from '../../src/resource/urls.js';

describe('the names a server answers to', () => {
  it('a local server: each loopback name with the same port, its own resource URLs, one issuer', () => {
    const urls = serverUrls('http://localhost:8000/team');
    const identities = serverIdentities(urls);
    assert.deepEqual([...identities.keys()], ['localhost:8000', '127.0.0.1:8000', '[::1]:8000']);
    const v4 = identities.get('127.0.0.1:8000')!;
    assert.equal(v4.resource, 'http://127.0.0.1:8000/team/mcp');
    assert.equal(v4.resourceMetadata, 'http://127.0.0.1:8000/.well-known/oauth-protected-resource/team/mcp');
    assert.equal(v4.rootResourceMetadata, 'http://127.0.0.1:8000/.well-known/oauth-protected-resource');
    assert.equal(v4.origin, 'http://127.0.0.1:8000');
    assert.equal(v4.mcpPath, '/team/mcp');
    assert.equal(v4.issuer, 'http://localhost:8000/team', 'the authorization server keeps its one name');
    assert.equal(identities.get('localhost:8000'), urls);
  });

  it('whichever loopback name the public URL uses, and default ports as a URL writes them', () => {
    assert.deepEqual([...serverIdentities(serverUrls('http://127.0.0.1:3000')).keys()], ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000']);
    assert.deepEqual([...serverIdentities(serverUrls('https://localhost')).keys()], ['localhost', '127.0.0.1', '[::1]']);
  });

  it('any other server: its public URL only', () => {
    for (const publicUrl of ['https://mcp.example.com', 'http://192.168.1.5:8000', 'http://127.0.0.2:8000']) {
      const urls = serverUrls(publicUrl);
      assert.deepEqual([...serverIdentities(urls).values()], [urls], publicUrl);
    }
  });
});
