import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt, nativeClientMetadata, obtainTokens, registerClient } from '../helpers/authorize.js';
import { runCli } from '../helpers/cli.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { CallbackServer } from '../helpers/oauth-client.js';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE } from '../../src/resource/downstream.js';
import { DownstreamTokenError } from '../../src/index.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { captureLogger } from '../helpers/server.js';

const EMAIL = 'ada@example.com';
const SCOPES = 'read:whoami calendar:read';

/**
 * A downstream API: it accepts only JWTs of the Gatehouse issuer whose audience is exactly its own URL. `/events`
 * answers who called; `/chain` trades the token it received for one to `next` (RFC 8693, with its own
 * credentials) and answers what `next` said.
 */
class DownstreamApi {
  url = '';
  credentials?: { clientId: string; clientSecret: string };
  next?: DownstreamApi;
  readonly received: string[] = [];
  readonly #server: HttpServer;

  constructor(private readonly issuer: () => string) {
    this.#server = createServer((request, response) => {
      void this.#handle(request.url ?? '/', request.headers.authorization ?? '').then(
        ({ status, body }) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: String(error) }));
        },
      );
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/api`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(path: string, authorization: string): Promise<{ status: number; body: unknown }> {
    const token = authorization.replace(/^Bearer /, '');
    this.received.push(token);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, createRemoteJWKSet(new URL(`${this.issuer()}/jwks`)), {
        issuer: this.issuer(),
        audience: this.url,
        typ: 'at+jwt',
      }));
    } catch (error) {
      return { status: 401, body: { error: 'invalid_token', why: String(error) } };
    }
    if (path.endsWith('/chain') && this.next && this.credentials) {
      const exchanged = await exchange(this.issuer(), this.credentials, { subject_token: token, resource: this.next.url });
      if (exchanged.status !== 200) return { status: 502, body: exchanged.body };
      const answer = await fetch(`${this.next.url}/events`, { headers: { authorization: `Bearer ${exchanged.body['access_token']}` } });
      return { status: answer.status, body: await answer.json() };
    }
    return { status: 200, body: { api: this.url, sub: claims.sub, scope: claims['scope'], client_id: claims['client_id'], act: claims['act'] } };
  }
}

/** POST an RFC 8693 exchange to the token endpoint with client_secret_basic. */
async function exchange(
  issuer: string,
  client: { clientId: string; clientSecret: string } | undefined,
  fields: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = new URLSearchParams({ grant_type: TOKEN_EXCHANGE, subject_token_type: ACCESS_TOKEN_TYPE, ...fields });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client)
    headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
  const response = await fetch(`${issuer}/token`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function callTool(resource: string, accessToken: string, name: string, args: Record<string, unknown> = {}) {
  const client = new Client({ name: 'exchange-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { Authorization: `Bearer ${accessToken}` } } }));
  try {
    return await client.callTool({ name, arguments: args });
  } finally {
    await client.close();
  }
}

function structured(result: Awaited<ReturnType<typeof callTool>>): Record<string, unknown> {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return (result.structuredContent ?? JSON.parse((result.content as Array<{ text: string }>)[0]!.text)) as Record<string, unknown>;
}

describe('downstream calls without passthrough (RFC 8693 token exchange)', () => {
  let server: EmbeddedTestServer;
  let callback: CallbackServer;
  let calendar: DownstreamApi;
  let mail: DownstreamApi;
  let unregistered: DownstreamApi;
  let clientId: string;
  let personToken: string;
  const exchangesSeen: string[] = [];

  before(async () => {
    calendar = await new DownstreamApi(() => server.urls.issuer).start();
    mail = await new DownstreamApi(() => server.urls.issuer).start();
    unregistered = await new DownstreamApi(() => server.urls.issuer).start();
    server = await startEmbedded({
      setup: (s) =>
        s.tool(
          'calendar',
          {
            description: 'read the calendar',
            scopes: ['calendar:read'],
            inputSchema: z.object({ api: z.string().optional(), scopes: z.array(z.string()).optional(), chain: z.boolean().optional() }),
          },
          async (args, ctx) => {
            const api = args.api ?? calendar.url;
            const { scopes } = args;
            try {
              const token = await ctx.caller!.tokenFor({ resource: api, ...(scopes && { scopes }) });
              exchangesSeen.push(token);
              const answer = await fetch(`${api}${args.chain ? '/chain' : '/events'}`, { headers: { authorization: `Bearer ${token}` } });
              return { status: answer.status, answer: await answer.json() };
            } catch (error) {
              if (error instanceof DownstreamTokenError) return { refused: error.code, description: error.description };
              throw error;
            }
          },
        ),
    });
    await server.accounts.create(EMAIL, PASSWORD);
    // Registered the way an operator does it: the CLI, on the running server's store.
    for (const [api, name] of [
      [calendar, 'Calendar'],
      [mail, 'Mail'],
    ] as const) {
      const cli = runCli([
        'resources',
        'add',
        api.url,
        '--scope',
        'calendar:read',
        'mail:send',
        '--name',
        name,
        '--json',
        '--data-dir',
        server.dataDir,
        ...server.storeArgs,
      ]);
      assert.equal(await cli.exited, 0, cli.stderr());
      const registered = JSON.parse(cli.stdout()) as { clientId: string; client_secret: string; url: string };
      assert.equal(registered.url, api.url);
      api.credentials = { clientId: registered.clientId, clientSecret: registered.client_secret };
    }
    calendar.next = mail;
    mail.next = calendar;
    callback = await CallbackServer.start();
    const registered = await registerClient(server, nativeClientMetadata(callback.url));
    clientId = String(registered.body['client_id']);
    personToken = (await obtainTokens({ server, clientId, redirectUri: callback.url, scope: SCOPES, email: EMAIL, password: PASSWORD })).accessToken;
  });

  after(async () => {
    await server?.close();
    await callback?.close();
    await Promise.all([calendar?.close(), mail?.close(), unregistered?.close()]);
  });

  it("a tool gets a token for the registered API: its audience, the person, the caller's app, and the MCP server as actor", async () => {
    const result = structured(await callTool(server.urls.resource, personToken, 'calendar'));
    assert.equal(result['status'], 200, JSON.stringify(result));
    const answer = result['answer'] as Record<string, unknown>;
    const person = decodeJwt(personToken);
    assert.equal(answer['api'], calendar.url);
    assert.equal(answer['sub'], person['sub']);
    assert.equal(answer['client_id'], clientId);
    assert.equal(answer['scope'], 'calendar:read', 'the API accepts mail:send too, but the person granted only calendar:read');
    assert.deepEqual(answer['act'], { sub: server.urls.resource });
    // The caller's own token never reached the API.
    assert.ok(!calendar.received.includes(personToken));
  });

  it('the exchanged token is cached per caller and API: a second call makes no new exchange', async () => {
    const before = exchangesSeen.length;
    structured(await callTool(server.urls.resource, personToken, 'calendar'));
    structured(await callTool(server.urls.resource, personToken, 'calendar'));
    assert.equal(new Set(exchangesSeen.slice(before)).size, 1);
    assert.equal(exchangesSeen[before], exchangesSeen[0]);
  });

  it('another API is refused with its exchanged token (the audience is exact), and accepts its own', async () => {
    const token = exchangesSeen[0]!;
    const wrong = await fetch(`${mail.url}/events`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(wrong.status, 401);
    const mailResult = structured(await callTool(server.urls.resource, personToken, 'calendar', { api: mail.url }));
    assert.equal((mailResult['answer'] as Record<string, unknown>)['api'], mail.url);
  });

  it('an API that received an exchanged token exchanges it at the token endpoint for a further API; the actor chain grows', async () => {
    const result = structured(await callTool(server.urls.resource, personToken, 'calendar', { chain: true }));
    assert.equal(result['status'], 200, JSON.stringify(result));
    const answer = result['answer'] as Record<string, unknown>;
    assert.equal(answer['api'], mail.url);
    assert.equal(answer['sub'], decodeJwt(personToken)['sub']);
    assert.deepEqual(answer['act'], { sub: calendar.url, act: { sub: server.urls.resource } });
  });

  it('refuses, by name, an unregistered API, a scope the API does not accept, and a scope the person did not grant', async () => {
    const unknown = structured(await callTool(server.urls.resource, personToken, 'calendar', { api: unregistered.url }));
    assert.equal(unknown['refused'], 'invalid_target');
    const notAccepted = structured(await callTool(server.urls.resource, personToken, 'calendar', { scopes: ['calendar:write'] }));
    assert.equal(notAccepted['refused'], 'invalid_scope');
    assert.match(String(notAccepted['description']), /does not accept calendar:write/);
    const notGranted = structured(await callTool(server.urls.resource, personToken, 'calendar', { scopes: ['mail:send'] }));
    assert.equal(notGranted['refused'], 'invalid_scope');
    assert.match(String(notGranted['description']), /grant does not include mail:send/);
  });

  it('the token endpoint refuses the person token itself (not issued for the API), no credentials, and a registered app', async () => {
    const forMcp = await exchange(server.urls.issuer, calendar.credentials, { subject_token: personToken, resource: mail.url });
    assert.equal(forMcp.status, 400);
    assert.equal(forMcp.body['error'], 'invalid_grant');
    assert.match(String(forMcp.body['error_description']), /not issued for/);

    const anonymous = await exchange(server.urls.issuer, undefined, { subject_token: exchangesSeen[0]!, resource: mail.url, client_id: clientId });
    assert.ok(anonymous.status === 400 || anonymous.status === 401, JSON.stringify(anonymous));
    assert.ok(['unauthorized_client', 'invalid_client', 'invalid_request'].includes(String(anonymous.body['error'])), JSON.stringify(anonymous.body));
    assert.equal(anonymous.body['access_token'], undefined);

    const registering = await registerClient(server, { ...nativeClientMetadata(callback.url), grant_types: ['authorization_code', TOKEN_EXCHANGE] });
    assert.equal(registering.status, 400);
    assert.equal(registering.body['error'], 'invalid_client_metadata');
  });

  it("one API's credentials cannot exchange a token issued for another API", async () => {
    const calendarToken = exchangesSeen[0]!;
    const stolen = await exchange(server.urls.issuer, mail.credentials, { subject_token: calendarToken, resource: calendar.url });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body['error'], 'invalid_grant');
  });

  it('disconnecting the app ends the exchange: the grant is gone, so its tokens are refused', async () => {
    const calendarToken = exchangesSeen[0]!;
    const grantId = String(decodeJwt(personToken)['gid']);
    assert.equal(decodeJwt(calendarToken)['gid'], grantId);
    await server.store.delete('Grant', grantId);
    const after = await exchange(server.urls.issuer, calendar.credentials, { subject_token: calendarToken, resource: mail.url });
    assert.equal(after.status, 400);
    assert.equal(after.body['error'], 'invalid_grant');
    const mcp = await fetch(server.urls.resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${personToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(mcp.status, 401);
  });

  it('every exchange and refusal is in the audit log; no token is', async () => {
    const events = await new AuditLog(server.store, captureLogger().logger).list({});
    const exchanged = events.filter((e) => e.type === 'token.exchanged');
    const refused = events.filter((e) => e.type === 'token.exchange_refused');
    assert.ok(exchanged.length >= 3, `exchanged: ${exchanged.length}`);
    assert.ok(refused.length >= 4, `refused: ${refused.length}`);
    const text = JSON.stringify(events);
    for (const token of [personToken, ...exchangesSeen]) assert.ok(!text.includes(token));
  });
});
