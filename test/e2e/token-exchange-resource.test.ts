import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { jwt, resource, tokenExchange } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { noteSecret } from '../helpers/leak-record.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { TestTokenEndpoint } from '../helpers/token-endpoint-server.js';

const CLIENT_ID = 'notes-mcp-server';
const CLIENT_SECRET = 'notes-mcp-server-secret-0123456789';

/** A downstream API that accepts only tokens issued for it (its own audience), and says whose they are. */
async function startDownstreamApi(issuer: TestIssuer): Promise<{ url: string; close(): Promise<void> }> {
  const keys = createRemoteJWKSet(new URL(issuer.jwksUri));
  let url = '';
  const server: Server = createServer(async (req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    try {
      const { payload } = await jwtVerify(token ?? '', keys, { issuer: issuer.url, audience: url });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ notes: ['buy milk'], for: payload.sub, scope: payload['scope'] }));
    } catch {
      res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notes`;
  return {
    url,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('resource mode: a tool calls a downstream API with a token exchanged for the caller', () => {
  let issuer: TestIssuer;
  let as: TestTokenEndpoint;
  let api: Awaited<ReturnType<typeof startDownstreamApi>>;
  let server: TestServer;
  /** The token the MCP client sent: the only subject token the authorization server will exchange. */
  let clientToken = '';

  before(async () => {
    issuer = await TestIssuer.start();
    as = await TestTokenEndpoint.start();
    api = await startDownstreamApi(issuer);
    noteSecret(CLIENT_SECRET);
    const verifier = jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri });
    server = await startServer(verifier, {
      auth: resource({
        authorizationServers: issuer.url,
        verifier,
        tokenExchange: tokenExchange({ tokenEndpoint: as.tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
      }),
      setup: (s) =>
        s.tool('my-notes', { scopes: ['read:whoami'] }, async (_args, ctx) => {
          const token = await ctx.caller!.tokenFor({ resource: api.url, scopes: ['notes:read'] });
          const answer = await fetch(api.url, { headers: { authorization: `Bearer ${token}` } });
          return { status: answer.status, answer: await answer.json() };
        }),
    });
  });
  after(async () => {
    await server.close();
    await api.close();
    await as.close();
    await issuer.close();
  });
  beforeEach(() => {
    as.requests.length = 0;
    // The authorization server: this client, the token-exchange grant, and exactly the client's token as subject.
    as.answer = async (request) => {
      const basic = Buffer.from(String(request.headers.authorization).replace(/^Basic /, ''), 'base64').toString();
      if (basic !== `${CLIENT_ID}:${CLIENT_SECRET}`) return { status: 401, body: { error: 'invalid_client' } };
      if (request.form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange')
        return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (request.form.get('subject_token') !== clientToken)
        return { status: 400, body: { error: 'invalid_grant', error_description: 'unknown subject token' } };
      const sub = decodeJwt(clientToken).sub!;
      const downstream = await issuer.token(request.form.get('resource')!, { sub, scope: request.form.get('scope')!, claims: { act: { sub: CLIENT_ID } } });
      noteSecret(downstream);
      return { body: { access_token: downstream, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 300 } };
    };
  });

  async function callAs(token: string, tool: string) {
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.urls.resource), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      return await client.callTool({ name: tool, arguments: {} });
    } finally {
      await client.close();
    }
  }

  it("exchanges exactly the client's token, and the downstream API accepts what came back; a second call reuses it", async () => {
    clientToken = await issuer.token(server.urls.resource, { sub: 'ada', scope: 'read:whoami' });
    noteSecret(clientToken);

    const result = await callAs(clientToken, 'my-notes');
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    assert.deepEqual(result.structuredContent, { status: 200, answer: { notes: ['buy milk'], for: 'ada', scope: 'notes:read' } });
    assert.equal(as.requests.length, 1);
    assert.equal(as.requests[0]!.form.get('subject_token'), clientToken);
    assert.equal(as.requests[0]!.form.get('resource'), api.url);

    await callAs(clientToken, 'my-notes');
    assert.equal(as.requests.length, 1, 'the exchanged token was reused');

    // The downstream API's audience check is real: the client's own token, passed on, would be refused there.
    assert.equal((await fetch(api.url, { headers: { authorization: `Bearer ${clientToken}` } })).status, 401);
    for (const line of server.logs) {
      assert.ok(!line.includes(clientToken) && !line.includes(CLIENT_SECRET), `nothing secret in the log: ${line}`);
    }
  });

  it("a refused exchange fails the tool call with the authorization server's description", async () => {
    clientToken = 'not-the-token-that-will-be-sent';
    const token = await issuer.token(server.urls.resource, { sub: 'grace', scope: 'read:whoami' });
    noteSecret(token);
    const result = await callAs(token, 'my-notes');
    assert.equal(result.isError, true);
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    assert.match(text, /unknown subject token/);
    assert.ok(!text.includes(token));
    assert.equal(as.requests.length, 1);
  });
});
