import { noteLogs } from './leak-record.js';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { after, before } from 'node:test';
import { gatehouse, jwt, resource, whoamiTool, type GatehouseOptions, type TokenVerifier } from '../../src/index.js';
import { TestIssuer } from './issuer.js';
import type { RunningServer } from '../../src/gatehouse.js';

/** A logger whose lines tests can read back (to check what is and is not logged). */
export function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  noteLogs(lines);
  return { logger: pino({ level: 'debug', redact: { paths: ['authorization', '*.authorization'], censor: '[redacted]' } }, stream), lines };
}

export interface TestServer extends RunningServer {
  logs: string[];
}

/** Start a Gatehouse server on a free loopback port with the whoami tool and any extra options. */
export async function startServer(
  verifier: TokenVerifier,
  options: Partial<GatehouseOptions> & { issuer?: string; setup?: (s: ReturnType<typeof gatehouse>) => void } = {},
): Promise<TestServer> {
  const { logger, lines } = captureLogger();
  const server = gatehouse({
    name: 'Test server',
    auth: resource({ authorizationServers: options.issuer ?? 'https://as.example.com', verifier }),
    logger,
    ...options,
  }).addTool(whoamiTool);
  options.setup?.(server);
  const running = await server.listen(0);
  return Object.assign(running, { logs: lines });
}

export const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export function initializeBody(protocolVersion = '2025-11-25') {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
  });
}

export async function postMcp(url: string, token?: string, body = initializeBody(), headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers },
    body,
  });
}

/** A request through node:http, which sends any Host and, given a flat list of names and values, repeated headers. */
export function rawRequest(url: string, options: { method?: string; headers?: Record<string, string> | string[]; body?: string } = {}) {
  return new Promise<{ status: number; headers: import('node:http').IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Register before/after hooks for a local JWT issuer and a server trusting it; the returned object is filled
 * in `before`. For suites whose only setup is "a protected server and tokens for it".
 */
export function useJwtServer(options: Parameters<typeof startServer>[1] = {}): { issuer: TestIssuer; server: TestServer } {
  const fixture = {} as { issuer: TestIssuer; server: TestServer };
  before(async () => {
    fixture.issuer = await TestIssuer.start();
    fixture.server = await startServer(jwt({ issuer: fixture.issuer.url, jwksUri: fixture.issuer.jwksUri }), { issuer: fixture.issuer.url, ...options });
  });
  after(async () => {
    await fixture.server.close();
    await fixture.issuer.close();
  });
  return fixture;
}
