import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { ENGINE_ROUTES } from '../../../src/authserver/web/koa-bridge.js';
import { obtainTokens, registerClient, type ClientCredentials } from '../../helpers/authorize.js';
import { startAttackServer, type AttackServer } from './fixture.js';

/**
 * Every path form is guarded: oidc-provider answers a route under other spellings (a trailing slash, another
 * case), while the checks in front of it match one spelling. Each other spelling is refused before routing.
 */
describe('attacks: path forms of the engine routes', () => {
  let server: AttackServer;
  let tokens: { refreshToken: string };

  before(async () => {
    server = await startAttackServer({ registrationsPerHour: 2 });
    tokens = await obtainTokens(server.flow);
  });
  after(async () => {
    await server?.close();
  });

  /** A request with the path exactly as given (no URL normalisation on the way), from node:http. */
  function send(path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path: `${server.urls.basePath}${path}`,
          method: options.method ?? 'GET',
          headers: { host: `localhost:${server.port}`, ...options.headers },
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** Every other spelling of a route that the engine's router would, or might, take for it. */
  function otherForms(route: string): string[] {
    const path = route.replace(/:[A-Za-z]+/g, 'abc123');
    const segments = path.split('/');
    const last = segments.length - 1;
    const literal = route.split('/').findLastIndex((part) => part !== '' && !part.startsWith(':'));
    const withSegment = (i: number, value: string) => segments.map((s, j) => (j === i ? value : s)).join('/');
    const word = segments[literal]!;
    return [
      `${path}/`,
      path.toUpperCase().replace(/ABC123/g, 'abc123'),
      withSegment(literal, word[0]!.toUpperCase() + word.slice(1)),
      withSegment(literal, `%${word.charCodeAt(0).toString(16)}${word.slice(1)}`),
      path.replace(/^\//, '//'),
      `${path};x=1`,
      withSegment(last, `${segments[last]};x=1`),
      withSegment(literal, `x/../${word}`),
      withSegment(literal, `./${word}`),
    ];
  }

  it('11 every route the engine answers is refused with 404 in every other spelling, with any method and an oversized body', async () => {
    const oversized = 'x='.padEnd(100 * 1024, 'a');
    const answered: string[] = [];
    for (const route of ENGINE_ROUTES) {
      for (const form of otherForms(route)) {
        for (const method of ['GET', 'POST']) {
          const headers = method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : undefined;
          const response = await send(form, { method, headers, body: method === 'POST' ? oversized : undefined });
          if (response.status !== 404 || response.body !== '{"error":"not_found"}')
            answered.push(`${method} ${form} → ${response.status} ${response.body.slice(0, 80)}`);
        }
      }
    }
    assert.deepEqual(answered, [], 'spellings the server answered instead of refusing');
  });

  it('11 the canonical spellings still reach the engine', async () => {
    const discovery = await send('/.well-known/oauth-authorization-server');
    assert.equal(discovery.status, 200);
    const jwks = await send('/jwks');
    assert.equal(jwks.status, 200);
    const token = await send('/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token' });
    assert.equal(token.status, 400, token.body);
    assert.match(token.body, /invalid_request|invalid_client/);
  });

  it("11 a dynamically registered confidential client cannot introspect another client's refresh token through /token/introspection/", async () => {
    const registered = await registerClient(server, {
      client_name: 'Nosy client',
      redirect_uris: ['https://nosy.test/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const nosy: ClientCredentials = { clientId: String(registered.body['client_id']), clientSecret: String(registered.body['client_secret']) };
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(nosy.clientId)}:${encodeURIComponent(nosy.clientSecret!)}`).toString('base64')}`;
    for (const path of ['/token/introspection', '/token/introspection/', '/token/Introspection', '/TOKEN/INTROSPECTION/']) {
      const response = await send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic, accept: 'application/json' },
        body: new URLSearchParams({ token: tokens.refreshToken }).toString(),
      });
      assert.doesNotMatch(response.body, /"active":true/, `${path}: the other client's refresh token was introspected`);
      assert.doesNotMatch(response.body, /"sub"/, `${path}: the subject leaked`);
    }
  });

  it('11 registration through /reg/ and other spellings counts against the limit and creates no client', async () => {
    const before = (await server.clients.list()).length;
    const metadata = JSON.stringify({ client_name: 'Flood', redirect_uris: ['https://flood.test/cb'], token_endpoint_auth_method: 'none' });
    const statuses: number[] = [];
    for (const path of ['/reg/', '/REG', '/Reg/', '/reg/', '/reg/', '/reg']) {
      statuses.push((await send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: metadata })).status);
    }
    const created = (await server.clients.list()).length - before;
    // One registration left of the two allowed this hour (the introspection test used the other): every
    // other spelling is refused, so at most the one canonical request at the end may succeed.
    assert.deepEqual(statuses.slice(0, 5), [404, 404, 404, 404, 404], `statuses ${statuses.join(', ')}`);
    assert.ok(created <= 1, `${created} clients created`);
  });
});
