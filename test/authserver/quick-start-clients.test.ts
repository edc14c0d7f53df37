import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PASSWORD, startEmbedded, type EmbeddedTestServer } from '../helpers/embedded-server.js';

/**
 * The clients of the quick start register themselves with the default server as each one does (dynamic
 * registration, its documented callbacks, no application_type, no secret) and may then start an authorization
 * with any of those callbacks: nothing to configure for Claude Code, Cursor, VS Code, the Inspector or mcp-remote.
 */
const FIXTURE = JSON.parse(readFileSync(new URL('./client-formats.json', import.meta.url), 'utf8')) as {
  /** `registers`: what a client registers when it differs from the callbacks it then uses (VS Code, random ports). */
  clients: Record<string, { callbacks: string[]; registers?: string[] }>;
};
const QUICK_START = ['claude-code', 'cursor', 'vscode', 'mcp-inspector', 'mcp-remote'];

describe('the quick start clients register with the default server', () => {
  let server: EmbeddedTestServer;
  before(async () => {
    server = await startEmbedded();
    await server.accounts.create('ada@example.com', PASSWORD);
  });
  after(async () => server?.close());

  for (const name of QUICK_START) {
    it(`${name}: registers with its callbacks, and each one starts an authorization`, async () => {
      const { callbacks, registers = callbacks } = FIXTURE.clients[name]!;
      const registered = await fetch(`${server.urls.issuer}/reg`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: name,
          redirect_uris: registers,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        }),
      });
      const body = (await registered.json()) as Record<string, unknown>;
      assert.equal(registered.status, 201, JSON.stringify(body));
      for (const callback of callbacks) {
        const authorize = new URL(`${server.urls.issuer}/auth`);
        for (const [key, value] of Object.entries({
          response_type: 'code',
          client_id: String(body['client_id']),
          redirect_uri: callback,
          scope: 'read:whoami',
          state: 'quick-start',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
          resource: server.urls.resource,
        }))
          authorize.searchParams.set(key, value);
        const answer = await fetch(authorize, { redirect: 'manual' });
        const location = new URL(answer.headers.get('location') ?? '', server.urls.issuer);
        assert.equal(answer.status, 303, `${callback}: ${answer.status}`);
        assert.equal(location.origin + location.pathname.replace(/\/[^/]+$/, ''), `${server.urls.issuer}/interaction`, `${callback}: on to sign-in`);
      }
    });
  }
});
