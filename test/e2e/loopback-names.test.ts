import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { jwt } from '../../src/index.js';
import { launchBrowser } from '../helpers/browser.js';
import { connectThroughBrowser } from '../helpers/connect-through-browser.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { CallbackServer, TestOAuthProvider } from '../helpers/oauth-client.js';
import { postMcp, rawRequest, startServer, type TestServer } from '../helpers/server.js';

/**
 * A local server (no public URL) reached under each loopback name: the official MCP client, which checks that the
 * metadata names the resource it connected to (MCP 2026-07-28), gets through under either name, and each name's
 * tokens are good under that name only.
 */
describe('a local server under each loopback name, with the official client', () => {
  let server: EmbeddedTestServer;
  let browser: Browser;
  let callback: CallbackServer;
  const tokens = new Map<string, string>();

  before(async () => {
    server = await startEmbedded();
    await server.accounts.create('ada@example.com', PASSWORD);
    browser = await launchBrowser();
    callback = await CallbackServer.start();
  });
  after(async () => {
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  const mcpUrl = (name: string) => `http://${name}:${server.port}/mcp`;

  for (const name of ['127.0.0.1', 'localhost']) {
    it(`connects to ${name}, signs in, and calls whoami with a token for that name`, async () => {
      const provider = new TestOAuthProvider(callback.url);
      const me = await connectThroughBrowser({
        server,
        mcpUrl: mcpUrl(name),
        browser,
        provider,
        callback,
        person: { email: 'ada@example.com', password: PASSWORD },
      });
      assert.equal(provider.authorizationUrl?.searchParams.get('resource'), mcpUrl(name), 'the client asks for the resource it connected to');
      assert.equal(provider.authorizationUrl?.origin, server.urls.issuer, 'one authorization server, at its issuer');
      assert.equal(me['authenticated'], true);

      const accessToken = provider.storedTokens!.access_token;
      assert.equal(decodeJwt(accessToken).aud, mcpUrl(name), 'the audience is exactly the name used');
      tokens.set(name, accessToken);
    });
  }

  it("refuses a token for one name under another: each name's audience is exact", async () => {
    for (const [issuedFor, usedAt] of [
      ['127.0.0.1', 'localhost'],
      ['localhost', '127.0.0.1'],
    ] as const) {
      const response = await postMcp(mcpUrl(usedAt), tokens.get(issuedFor));
      assert.equal(response.status, 401, `${issuedFor} token at ${usedAt}`);
      assert.match(response.headers.get('www-authenticate') ?? '', /error_description="The token was not issued for this resource"/);
      assert.match(response.headers.get('www-authenticate') ?? '', new RegExp(`resource_metadata="http://${usedAt.replace(/\./g, '\\.')}:${server.port}/`));
      assert.equal((await postMcp(mcpUrl(issuedFor), tokens.get(issuedFor))).status, 200, 'and still good where it was issued for');
    }
  });

  it('names the [::1] resource to a client that used that name, and no resource it does not answer to', async () => {
    const v6 = await rawRequest(`http://127.0.0.1:${server.port}/.well-known/oauth-protected-resource/mcp`, { headers: { host: `[::1]:${server.port}` } });
    assert.equal(JSON.parse(v6.body).resource, `http://[::1]:${server.port}/mcp`);
    assert.deepEqual(JSON.parse(v6.body).authorization_servers, [server.urls.issuer]);
    const otherPort = await rawRequest(`http://127.0.0.1:${server.port}/.well-known/oauth-protected-resource/mcp`, { headers: { host: '127.0.0.1:1' } });
    assert.equal(JSON.parse(otherPort.body).resource, server.urls.resource, 'another port is not one of its names: the public URL');
    // Tokens are issued for the names the server answers to, and for nothing else.
    const record = await server.clients.add({ name: 'Loopback test app', redirectUris: [callback.url] });
    const authorize = new URL(`${server.urls.issuer}/auth`);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: record.client_id,
      redirect_uri: callback.url,
      scope: 'read:whoami',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      resource: `http://127.0.0.2:${server.port}/mcp`,
    }))
      authorize.searchParams.set(key, value);
    const refused = await fetch(authorize, { redirect: 'manual' });
    assert.equal(new URL(refused.headers.get('location') ?? '', server.urls.issuer).searchParams.get('error'), 'invalid_target');
  });
});

describe('resource mode under each loopback name', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let publicServer: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    const verifier = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });
    server = await startServer(verifier, { issuer: issuer.url });
    publicServer = await startServer(verifier, { issuer: issuer.url, publicUrl: 'https://mcp.example.com' });
  });
  after(async () => {
    await server?.close();
    await publicServer?.close();
    await issuer?.close();
  });

  it('accepts a token for the name used, and only there', async () => {
    const at = (name: string) => `http://${name}:${server.port}/mcp`;
    const token = await issuer.token(at('127.0.0.1'));
    assert.equal((await postMcp(at('127.0.0.1'), token)).status, 200);
    assert.equal((await postMcp(at('localhost'), token)).status, 401);
    assert.equal((await postMcp(at('localhost'), await issuer.token(at('localhost')))).status, 200);
  });

  it('a server with a public URL has that one identity, whatever loopback name reaches it', async () => {
    const metadata = await rawRequest(`http://127.0.0.1:${publicServer.port}/.well-known/oauth-protected-resource/mcp`, {
      headers: { host: `127.0.0.1:${publicServer.port}` },
    });
    assert.equal(JSON.parse(metadata.body).resource, 'https://mcp.example.com/mcp');
  });
});
