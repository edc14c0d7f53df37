/**
 * Shared pieces of the security-checklist suites (`test/checklist/*.test.ts`): each suite names its tests after
 * the checklist items (§2.2 R1–R12, §3 P6 and P9) and runs them over real HTTP against one mode.
 *
 * Besides small request/answer helpers, this file registers the tests that read the same in every mode (R7
 * discovery, R8 token transport, R12 DNS rebinding), so each mode's suite calls them with its own server and token.
 */
import assert from 'node:assert/strict';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { it } from 'node:test';
import { base64url, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { z } from 'zod';
import { embedded } from '../../src/authserver/embedded.js';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { gatehouse, whoamiTool, type GatehouseServer, type ServerUrls } from '../../src/index.js';
import { openStore } from '../../src/store/index.js';
import { selfSignedCertificate } from '../helpers/https-fixture.js';
import { captureLogger, MCP_HEADERS, rawRequest } from '../helpers/server.js';

// ---------------------------------------------------------------------------------------------------------
// Calling the MCP endpoint

/** The protocol revision whose tools/call needs no initialize first (the transport is stateless). */
export const PROTOCOL = { 'mcp-protocol-version': '2025-11-25' };

/** A tool that needs two scopes, so a 403 can be checked to name every scope the call needs, not only the missing one. */
export const TWO_SCOPE_TOOL = ['files:read', 'files:write'] as const;

export function addTwoScopeTool(server: GatehouseServer): void {
  server.tool('copy_file', { scopes: [...TWO_SCOPE_TOOL], inputSchema: z.object({}) }, () => ({ copied: true }));
}

export interface McpAnswer {
  status: number;
  headers: Headers;
  body: string;
  /** The tool's structured result, when the call succeeded. */
  result?: Record<string, unknown>;
}

/** POST a `tools/call` to the MCP endpoint (with this bearer token, if any) and read the answer, SSE or JSON. */
export async function callTool(resource: string, token: string | undefined, tool = 'whoami', headers: Record<string, string> = {}): Promise<McpAnswer> {
  const response = await fetch(resource, {
    method: 'POST',
    headers: { ...MCP_HEADERS, ...PROTOCOL, ...(token !== undefined && { authorization: `Bearer ${token}` }), ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } }),
  });
  const body = await response.text();
  return { status: response.status, headers: response.headers, body, result: structuredResult(body) };
}

function structuredResult(body: string): Record<string, unknown> | undefined {
  const data = body.startsWith('{')
    ? body
    : body
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .pop();
  if (!data) return undefined;
  try {
    const message = JSON.parse(data) as { result?: { structuredContent?: Record<string, unknown>; isError?: boolean } };
    return message.result?.isError ? undefined : message.result?.structuredContent;
  } catch {
    return undefined;
  }
}

/** `whoami` answered: 200 and the subject the server saw. */
export async function whoamiSubject(resource: string, token: string, headers: Record<string, string> = {}): Promise<string> {
  const answer = await callTool(resource, token, 'whoami', headers);
  assert.equal(answer.status, 200, `whoami: ${answer.body.slice(0, 300)}`);
  assert.ok(answer.result, `whoami result: ${answer.body.slice(0, 300)}`);
  return String(answer.result['subject']);
}

/** The auth-params of a `WWW-Authenticate: Bearer …` header, by name. */
export function challenge(headers: Headers): Record<string, string> {
  const header = headers.get('www-authenticate') ?? '';
  assert.match(header, /^Bearer\b/, `a Bearer challenge (got "${header}")`);
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) params[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  return params;
}

/** A refused token: 401 with `error="invalid_token"`, and never a tool result. */
export function assertInvalidToken(answer: { status: number; headers: Headers; body?: string }, label = 'token'): void {
  assert.equal(answer.status, 401, `${label}: status (${answer.body?.slice(0, 200) ?? ''})`);
  assert.equal(challenge(answer.headers)['error'], 'invalid_token', `${label}: error`);
}

/** A 403 step-up challenge naming exactly these scopes (in any order). */
export function assertInsufficientScope(answer: McpAnswer, scopes: readonly string[]): void {
  assert.equal(answer.status, 403, answer.body.slice(0, 300));
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope"/);
  const named = challenge(answer.headers)['scope']?.split(' ') ?? [];
  assert.deepEqual([...named].sort(), [...scopes].sort(), 'the challenge names every scope the call needs');
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Tests that read the same in every mode

/** What the shared tests need from a mode: its running server and a token it accepts (with `read:whoami`). */
export interface ModeContext {
  urls: ServerUrls;
  port: number;
  token: string;
  /** The authorization servers the protected resource metadata must name. */
  authorizationServers: string[];
  /** More routes the Host check must guard (e.g. the embedded authorization server's metadata). */
  extraPaths?: string[];
}

/** R7: the 401 leads a client to the protected resource metadata, whose `resource` is exactly the URL it called. */
export function discoveryTests(mode: () => ModeContext): void {
  it('R7 discovery: a 401 without a token carries resource_metadata, and the PRM resource equals the server URL exactly', async () => {
    const { urls, authorizationServers } = mode();
    const refused = await callTool(urls.resource, undefined);
    assert.equal(refused.status, 401);
    const metadataUrl = challenge(refused.headers)['resource_metadata'];
    assert.equal(metadataUrl, urls.resourceMetadata);
    // The client follows the challenge, as the MCP authorization spec tells it to.
    const response = await fetch(metadataUrl!);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata['resource'], urls.resource, 'resource is the MCP endpoint URL, byte for byte');
    assert.equal(new URL(String(metadata['resource'])).href, new URL(urls.resource).href);
    assert.deepEqual(metadata['authorization_servers'], authorizationServers);
    assert.deepEqual(metadata['bearer_methods_supported'], ['header'], 'tokens go in the Authorization header only');
  });

  it('R7 discovery: a 401 for a bad token carries resource_metadata too', async () => {
    const { urls } = mode();
    const refused = await callTool(urls.resource, 'not-a-valid-token');
    assertInvalidToken(refused);
    assert.equal(challenge(refused.headers)['resource_metadata'], urls.resourceMetadata);
  });
}

/** R8: tokens travel in the Authorization header only; a token anywhere else is never accepted. */
export function tokenTransportTests(mode: () => ModeContext): void {
  it('R8 token transport: ?access_token= alone is rejected, never accepted', async () => {
    const { urls, token } = mode();
    // The attacker (or a careless client) puts the token where proxies and logs keep it: the URL.
    const answer = await callTool(`${urls.resource}?access_token=${encodeURIComponent(token)}`, undefined);
    assert.ok(answer.status === 400 || answer.status === 401, `refused (got ${answer.status})`);
    assert.equal(answer.result, undefined);
  });

  it('R8 token transport: the Authorization header plus ?access_token= → 400 invalid_request', async () => {
    const { urls, token } = mode();
    const answer = await callTool(`${urls.resource}?access_token=${encodeURIComponent(token)}`, token);
    assert.equal(answer.status, 400);
    assert.equal(challenge(answer.headers)['error'], 'invalid_request');
    assert.equal(answer.result, undefined);
  });

  it('R8 token transport: a form-body access_token alone is never accepted', async () => {
    const { urls, token } = mode();
    const response = await fetch(urls.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: MCP_HEADERS.accept },
      body: new URLSearchParams({ access_token: token }).toString(),
    });
    await response.body?.cancel();
    assert.ok(response.status === 400 || response.status === 401, `refused (got ${response.status})`);
  });

  it('R8 token transport: the Authorization header plus a form-body access_token → 400 invalid_request', async () => {
    const { urls, token } = mode();
    // RFC 6750 §3.1: a request that uses more than one method to send the token is invalid_request (400).
    const response = await fetch(urls.resource, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: MCP_HEADERS.accept, authorization: `Bearer ${token}` },
      body: new URLSearchParams({ access_token: token }).toString(),
    });
    const body = await response.text();
    assert.equal(response.status, 400, `credentials in two places at once: ${body.slice(0, 200)}`);
    assert.equal(challenge(response.headers)['error'], 'invalid_request');
  });
}

/** R12: a DNS-rebinding page names its own host, or sends its own Origin; both get 403. Non-browser clients pass. */
export function dnsRebindingTests(mode: () => ModeContext): void {
  it('R12 DNS rebinding: Host: attacker.test → 403 on every route, even with a valid token', async () => {
    const { urls, port, token, extraPaths = [] } = mode();
    const local = (path: string) => `http://127.0.0.1:${port}${path}`;
    const refused = await rawRequest(local(urls.mcpPath), {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...PROTOCOL, host: 'attacker.test', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
    });
    assert.equal(refused.status, 403, refused.body);
    for (const path of [new URL(urls.resourceMetadata).pathname, ...extraPaths]) {
      const response = await rawRequest(local(path), { headers: { host: `attacker.test:${port}` } });
      assert.equal(response.status, 403, path);
    }
  });

  it('R12 DNS rebinding: Origin: http://evil.test → 403, even with a valid token', async () => {
    const { urls, port, token } = mode();
    const refused = await rawRequest(`http://127.0.0.1:${port}${urls.mcpPath}`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, ...PROTOCOL, host: `localhost:${port}`, origin: 'http://evil.test', authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
    });
    assert.equal(refused.status, 403, refused.body);
    assert.doesNotMatch(refused.body, /"subject"/);
  });

  it('R12 DNS rebinding: a request with our Host (any loopback name) and no Origin (a non-browser client) is allowed', async () => {
    const { urls, port, token } = mode();
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const allowed = await rawRequest(`http://127.0.0.1:${port}${urls.mcpPath}`, {
        method: 'POST',
        headers: { ...MCP_HEADERS, ...PROTOCOL, host, authorization: `Bearer ${token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
      });
      if (host.startsWith('localhost')) {
        assert.equal(allowed.status, 200, `${host}: ${allowed.body.slice(0, 200)}`);
        assert.match(allowed.body, /"subject"/);
      } else {
        // The Host passes; on a local server each loopback name is a resource of its own, so a token for the
        // localhost one is refused here for its audience, with the challenge naming this name's metadata.
        assert.equal(allowed.status, 401, `${host}: ${allowed.body.slice(0, 200)}`);
        assert.match(String(allowed.headers['www-authenticate']), /not issued for this resource.*resource_metadata="http:\/\/127\.0\.0\.1:/);
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Playing the embedded authorization server's signer

/**
 * The signing keys of an embedded (or federated) server, read from the key file it creates in its data directory.
 * With them a test re-signs the claims of a real token with one thing changed, next to a control re-signed
 * unchanged, so a refusal can only come from that one change (the grant and account in the token stay real).
 */
export class ServerKeys {
  private constructor(private readonly keys: JWK[]) {}

  static load(dataDir: string): ServerKeys {
    const material = JSON.parse(readFileSync(join(dataDir, 'keys.json'), 'utf8')) as { signing: JWK[] };
    return new ServerKeys(material.signing);
  }

  /** The current private key for an algorithm (ES256 signs access and ID tokens; RS256 is published too). */
  private jwk(alg: string): JWK {
    const key = this.keys.find((k) => k.alg === alg);
    assert.ok(key, `a ${alg} key in keys.json`);
    return key;
  }

  /** Sign these claims with the server's own key. `crit` names header parameters the verifier must understand. */
  async sign(claims: JWTPayload, options: { alg?: string; typ?: string; crit?: string[]; header?: Record<string, unknown> } = {}): Promise<string> {
    const jwk = this.jwk(options.alg ?? 'ES256');
    const key = await importJWK(jwk, jwk.alg);
    const header = { alg: jwk.alg!, kid: jwk.kid, typ: options.typ ?? 'at+jwt', ...(options.crit && { crit: options.crit }), ...options.header };
    return new SignJWT(claims)
      .setProtectedHeader(header)
      .sign(key, options.crit ? { crit: Object.fromEntries(options.crit.map((c) => [c, true])) } : undefined);
  }
}

/** The claims of a JWT (unverified). */
export function claimsOf(token: string): JWTPayload {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as JWTPayload;
}

/** An unsigned token (`alg: none`) carrying these claims. */
export function unsignedToken(claims: JWTPayload, typ = 'at+jwt'): string {
  return `${base64url.encode(JSON.stringify({ alg: 'none', typ }))}.${base64url.encode(JSON.stringify(claims))}.`;
}

/**
 * The classic algorithm-confusion forgery: HS256 keyed with the bytes of the issuer's public key (as PEM and
 * as DER), which any attacker can download from the JWKS.
 */
export async function hs256WithPublicKey(claims: JWTPayload, publicJwk: JWK): Promise<string[]> {
  const publicKey: KeyObject = createPublicKey({ key: publicJwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  const secrets = [Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }).toString()), publicKey.export({ type: 'spki', format: 'der' })];
  return Promise.all(
    secrets.map((secret) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid, typ: 'at+jwt' }).sign(new Uint8Array(secret))),
  );
}

// ---------------------------------------------------------------------------------------------------------
// An embedded server with a chosen MCP path and public URL (startEmbedded always serves `/mcp`)

export interface PathServer {
  urls: ServerUrls;
  port: number;
  dataDir: string;
  accounts: Accounts;
  clients: ClientRegistry;
  close(): Promise<void>;
}

/** Embedded mode at `mcpPath`, keeping its keys and SQLite store in `dataDir` (two servers may share one). */
export async function startEmbeddedAt(options: { dataDir: string; mcpPath: string; publicUrl?: string }): Promise<PathServer> {
  const { logger } = captureLogger();
  const server = gatehouse({
    name: `Embedded ${options.mcpPath}`,
    auth: embedded({ dataDir: options.dataDir }),
    logger,
    mcpPath: options.mcpPath,
    publicUrl: options.publicUrl,
  }).addTool(whoamiTool);
  const running = await server.listen(0);
  // The test's own connection to the same database, for creating people and clients.
  const store = await openStore(`sqlite:${join(options.dataDir, 'gatehouse.db')}`);
  return {
    urls: running.urls,
    port: running.port,
    dataDir: options.dataDir,
    accounts: new Accounts(store),
    clients: new ClientRegistry(store),
    close: async () => {
      await running.close();
      await store.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// A canary for SSRF tests

type Listener = ReturnType<typeof createHttpServer> | ReturnType<typeof createHttpsServer>;

/**
 * Loopback listeners that record every HTTP request they get: HTTPS on 127.0.0.1 and [::1] (one self-signed
 * certificate naming localhost, 127.0.0.1 and ::1) and plain HTTP on 127.0.0.1. They answer with a valid
 * Client ID Metadata Document for whatever URL was asked, so the only thing that can stop a fetch is the fetcher.
 */
export class Canary {
  /** Every request received, as `https://host/path` (or `http://…`). */
  readonly requests: string[] = [];
  certificate = '';
  httpsPort4 = 0;
  httpsPort6 = 0;
  httpPort = 0;
  #servers: Listener[] = [];
  #dir = '';

  static async start(redirectUri: string): Promise<Canary> {
    const canary = new Canary();
    const { dir, certPath, keyPath } = selfSignedCertificate();
    canary.#dir = dir;
    canary.certificate = readFileSync(certPath, 'utf8');
    const handler = (scheme: string) => (req: IncomingMessage, res: ServerResponse) => {
      const url = `${scheme}://${req.headers.host}${req.url}`;
      canary.requests.push(url);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ client_id: url, client_name: 'Canary', redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }));
    };
    const tls = { cert: canary.certificate, key: readFileSync(keyPath) };
    const listen = async (server: Listener, host: string) => {
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
      canary.#servers.push(server);
      return (server.address() as AddressInfo).port;
    };
    canary.httpsPort4 = await listen(createHttpsServer(tls, handler('https')), '127.0.0.1');
    // Without IPv6 on the machine the [::1] target is still refused; it then names a port nothing listens on.
    canary.httpsPort6 = await listen(createHttpsServer(tls, handler('https')), '::1').catch(() => canary.httpsPort4);
    canary.httpPort = await listen(createHttpServer(handler('http')), '127.0.0.1');
    return canary;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
