import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gatehouse, introspection, jwt, resource, whoamiTool } from '../../src/index.js';
import { nativeClientMetadata, obtainTokens, refresh, registerClient } from '../helpers/authorize.js';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';
import { TestIntrospectionServer } from '../helpers/introspection-server.js';
import { TestIssuer } from '../helpers/issuer.js';
import { captureLogger, postMcp, startServer, type TestServer } from '../helpers/server.js';
import { metricValue } from './support.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef-0123456789';
const toolCall = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } });
const LEGACY = { 'mcp-protocol-version': '2025-11-25' };

async function scrape(url: string, token?: string): Promise<string> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  assert.equal(response.status, 200, `scrape ${url}`);
  return response.text();
}

describe('metrics on a port of their own', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, metrics: { port: 0 } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  it('serves the Prometheus exposition on loopback, with process metrics, and says where at start', async () => {
    assert.match(server.metricsUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.notEqual(new URL(server.metricsUrl!).port, String(server.port));
    assert.ok(
      server.notices.some((line) => line.includes(server.metricsUrl!)),
      'the startup notices name the metrics URL',
    );
    const response = await fetch(server.metricsUrl!);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^# TYPE gatehouse_http_requests_total counter$/m);
    assert.match(text, /^# TYPE gatehouse_http_request_duration_seconds histogram$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status, 404, 'not on the main port');
  });

  it('counts requests by bounded route, status and outcome, and token verifications by result', async () => {
    const before = await scrape(server.metricsUrl!);
    assert.equal((await postMcp(server.urls.resource)).status, 401);
    assert.equal((await postMcp(server.urls.resource, 'not.a.valid-token')).status, 401);
    assert.equal((await postMcp(server.urls.resource, await issuer.token(server.urls.resource))).status, 200);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/some/random/path-${Date.now()}`)).status, 404);
    const after = await scrape(server.metricsUrl!);

    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    assert.equal(delta('gatehouse_http_requests_total', { route: '/mcp', method: 'POST', status: '401', outcome: 'no_token' }), 1);
    assert.equal(delta('gatehouse_http_requests_total', { route: '/mcp', method: 'POST', status: '401', outcome: 'invalid_token' }), 1);
    assert.equal(delta('gatehouse_http_requests_total', { route: '/mcp', method: 'POST', status: '200', outcome: 'ok' }), 1);
    assert.equal(delta('gatehouse_http_requests_total', { route: 'other', method: 'GET', status: '404' }), 1);
    assert.equal(delta('gatehouse_http_request_duration_seconds_count', { route: '/mcp', method: 'POST' }), 3);
    assert.equal(delta('gatehouse_token_verifications_total', { result: 'valid' }), 1);
    assert.equal(delta('gatehouse_token_verifications_total', { result: 'invalid' }), 1);
    assert.doesNotMatch(after, /path-\d+/, 'raw paths never become labels');
  });
});

describe('metrics on the main port behind a token', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, metrics: { token: METRICS_TOKEN } });
  });
  after(async () => {
    await server.close();
    await issuer.close();
  });

  it('answers 401 without the token or with a wrong one, and the exposition with it', async () => {
    const url = `${server.urls.issuer}/metrics`;
    assert.equal(server.metricsUrl, url);
    const missing = await fetch(url);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.doesNotMatch(await missing.text(), /gatehouse_http/);
    assert.equal((await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` } })).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: `Basic ${METRICS_TOKEN}` } })).status, 401);
    const text = await scrape(url, METRICS_TOKEN);
    assert.match(text, /gatehouse_http_requests_total\{route="\/metrics",method="GET",status="401"/);
  });

  it('refuses a metrics token shorter than 32 characters', () => {
    assert.throws(
      () =>
        gatehouse({
          name: 'x',
          auth: resource({ authorizationServers: 'https://as.example.com', verifier: jwt({ issuer: 'https://as.example.com', secret: 's'.repeat(32) }) }),
          metrics: { token: 'short' },
        }),
      /at least 32 characters/,
    );
  });
});

describe('without metrics configured', () => {
  it('serves no metrics endpoint, but the registry is there for library users', async () => {
    const issuer = await TestIssuer.start();
    const server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url });
    try {
      assert.equal((await fetch(`${server.urls.issuer}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 404);
      assert.equal(server.metricsUrl, undefined);
      assert.equal((await postMcp(server.urls.resource)).status, 401);
      const text = await server.metrics.metrics();
      assert.equal(metricValue(text, 'gatehouse_http_requests_total', { route: '/mcp', status: '401' }), 1);
    } finally {
      await server.close();
      await issuer.close();
    }
  });
});

describe('rate limits, verification cache and separate registries', () => {
  it('counts a tool-call 429 under its limit', async () => {
    const issuer = await TestIssuer.start();
    const server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), { issuer: issuer.url, limits: { toolCallsPerMinute: 1 } });
    try {
      const token = await issuer.token(server.urls.resource, { sub: 'busy' });
      assert.equal((await postMcp(server.urls.resource, token, toolCall, LEGACY)).status, 200);
      assert.equal((await postMcp(server.urls.resource, token, toolCall, LEGACY)).status, 429);
      const text = await server.metrics.metrics();
      assert.equal(metricValue(text, 'gatehouse_rate_limited_total', { limit: 'tool_calls' }), 1);
      assert.equal(metricValue(text, 'gatehouse_http_requests_total', { route: '/mcp', status: '429', outcome: 'rate_limited' }), 1);
    } finally {
      await server.close();
      await issuer.close();
    }
  });

  it('counts introspection cache hits and misses, each server in its own registry', async () => {
    const introspectionServer = await TestIntrospectionServer.start();
    const start = () => {
      const verifier = introspection({
        url: introspectionServer.endpoint,
        clientId: introspectionServer.clientId,
        clientSecret: introspectionServer.clientSecret,
      });
      return startServer(verifier);
    };
    const first = await start();
    const second = await start();
    try {
      const exp = Math.floor(Date.now() / 1000) + 300;
      introspectionServer.tokens.set('opaque-token-first', { sub: 'ada', aud: first.urls.resource, scope: 'read:whoami', exp });
      for (let i = 0; i < 3; i++) assert.equal((await postMcp(first.urls.resource, 'opaque-token-first')).status, 200);
      assert.equal(introspectionServer.calls, 1);
      const firstText = await first.metrics.metrics();
      assert.equal(metricValue(firstText, 'gatehouse_verification_cache_total', { result: 'miss' }), 1);
      assert.equal(metricValue(firstText, 'gatehouse_verification_cache_total', { result: 'hit' }), 2);
      const secondText = await second.metrics.metrics();
      assert.equal(metricValue(secondText, 'gatehouse_verification_cache_total', {}), 0, "another server's registry did not move");
      assert.equal(metricValue(secondText, 'gatehouse_http_requests_total', {}), 0);
    } finally {
      await first.close();
      await second.close();
      await introspectionServer.close();
    }
  });
});

describe('a 503 at the MCP endpoint says why, in its log line and the metrics', () => {
  it('tells a wrong introspection secret, an introspection outage and a slow endpoint apart', async () => {
    const endpoint = await TestIntrospectionServer.start();
    const verifier = (clientSecret: string) =>
      introspection({ url: endpoint.endpoint, clientId: endpoint.clientId, clientSecret, timeoutSeconds: 1, cacheMaxSeconds: 0 });
    const misconfigured = await startServer(verifier('not the secret'));
    const configured = await startServer(verifier(endpoint.clientSecret));
    const lastRequestLine = (server: TestServer) => JSON.parse(server.logs.filter((line) => line.includes('"msg":"request"')).at(-1)!);
    try {
      endpoint.tokens.set('opaque-token-503', { sub: 'ada', aud: configured.urls.resource, exp: Math.floor(Date.now() / 1000) + 300 });
      assert.equal((await postMcp(misconfigured.urls.resource, 'opaque-token-503')).status, 503);
      const refused = lastRequestLine(misconfigured);
      assert.equal(refused.level, 40, 'a 503 is a warning');
      assert.equal(refused.outcome, 'verifier_unavailable');
      assert.match(refused.reason, /refused this server's credentials \(HTTP 401\)/);

      endpoint.delayMs = 1_500;
      assert.equal((await postMcp(configured.urls.resource, 'opaque-token-503')).status, 503);
      assert.match(lastRequestLine(configured).reason, /did not answer within 1000 ms/);
      endpoint.delayMs = 0;
      await endpoint.close();
      assert.equal((await postMcp(configured.urls.resource, 'opaque-token-503')).status, 503);
      assert.match(lastRequestLine(configured).reason, /could not be reached \(ECONNREFUSED\)/);

      const unavailable = (text: string, reason: string) => metricValue(text, 'gatehouse_verifier_unavailable_total', { reason });
      const misconfiguredText = await misconfigured.metrics.metrics();
      assert.equal(unavailable(misconfiguredText, 'credentials_rejected'), 1);
      assert.equal(unavailable(misconfiguredText, 'unreachable'), 0);
      const configuredText = await configured.metrics.metrics();
      assert.equal(unavailable(configuredText, 'timeout'), 1);
      assert.equal(unavailable(configuredText, 'unreachable'), 1);
      assert.equal(unavailable(configuredText, 'credentials_rejected'), 0);
    } finally {
      await misconfigured.close();
      await configured.close();
      await endpoint.close();
    }
  });
});

describe('token issuance by the embedded authorization server', () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded({ registrationsPerHour: 1 });
    await server.accounts.create('ada@example.com', PASSWORD);
  });
  after(async () => server.close());

  it('counts each token response by grant type, and registration 429s', async () => {
    const redirectUri = 'http://127.0.0.1:9/callback';
    const registered = await registerClient(server, nativeClientMetadata(redirectUri));
    assert.equal(registered.status, 201);
    const clientId = String(registered.body['client_id']);
    const tokens = await obtainTokens({ server, clientId, redirectUri, email: 'ada@example.com', password: PASSWORD });
    let text = await server.metrics.metrics();
    assert.equal(metricValue(text, 'gatehouse_tokens_issued_total', { grant_type: 'authorization_code' }), 1);
    assert.equal(metricValue(text, 'gatehouse_tokens_issued_total', { grant_type: 'refresh_token' }), 0);
    assert.equal(metricValue(text, 'gatehouse_http_requests_total', { route: '/token', method: 'POST', status: '200' }), 1);
    assert.ok(metricValue(text, 'gatehouse_http_requests_total', { route: '/auth' }) >= 1);
    assert.ok(metricValue(text, 'gatehouse_http_requests_total', { route: '/interaction' }) >= 1);

    assert.equal((await refresh(server, { client: { clientId }, refreshToken: tokens.refreshToken })).status, 200);
    const refused = await refresh(server, { client: { clientId }, refreshToken: 'not-a-refresh-token' });
    assert.equal(refused.status, 400);
    text = await server.metrics.metrics();
    assert.equal(metricValue(text, 'gatehouse_tokens_issued_total', { grant_type: 'refresh_token' }), 1, 'a refused grant issues nothing');
    assert.equal(metricValue(text, 'gatehouse_tokens_issued_total', {}), 2);

    assert.equal((await registerClient(server, nativeClientMetadata(redirectUri))).status, 429);
    text = await server.metrics.metrics();
    assert.equal(metricValue(text, 'gatehouse_rate_limited_total', { limit: 'registration' }), 1);
  });
});

describe('a library server with its own logger', () => {
  it('exposes the same registry on the server before and after listen', async () => {
    const issuer = await TestIssuer.start();
    const server = gatehouse({
      name: 'lib',
      auth: resource({ authorizationServers: issuer.url, verifier: jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }) }),
      logger: captureLogger().logger,
    }).addTool(whoamiTool);
    const running = await server.listen(0);
    try {
      assert.equal(running.metrics, server.metrics.registry);
    } finally {
      await running.close();
      await issuer.close();
    }
  });
});
