import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TokenVerifier, VerifiedToken } from '../../src/index.js';
import { postMcp, startServer, type TestServer } from '../helpers/server.js';

const LEGACY = { 'mcp-protocol-version': '2025-11-25' };
const call = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name, arguments: {} } });

/** The structured result of a tool call answered over SSE or JSON. */
async function toolResult(response: Response): Promise<Record<string, unknown>> {
  assert.equal(response.status, 200);
  const text = await response.text();
  const json = text.startsWith('{')
    ? text
    : text
        .split('\n')
        .find((line) => line.startsWith('data: '))!
        .slice('data: '.length);
  const message = JSON.parse(json) as { result: { structuredContent: Record<string, unknown> } };
  return message.result.structuredContent;
}

/**
 * What a verified token is admitted with is worked out once per VerifiedToken and shared by the requests that
 * bear it. Sharing must never let one request change what the next one sees, and no token is handed on at all.
 */
describe('the AuthInfo tools receive', () => {
  const answer: VerifiedToken = Object.freeze({
    subject: 'ada',
    scopes: ['read:whoami'],
    audience: [],
    expiresAt: Date.now() / 1000 + 600,
    claims: {},
  });
  let server: TestServer;
  let resourceUrl: string;

  before(async () => {
    // One object for every token, cached or not: what the gate hands on is the same for each, and holds none of them.
    const oneAnswer: TokenVerifier = {
      description: 'one answer for all',
      audienceImplicit: true,
      cached: (token) => (token.startsWith('known-') ? answer : undefined),
      verify: async () => answer,
    };
    server = await startServer(oneAnswer, {
      setup: (s) => {
        s.addTool({
          name: 'tamper',
          config: { scopes: ['read:whoami'] },
          handler: (_args, ctx) => {
            const info = ctx.http!.authInfo!;
            const attempts: Record<string, string> = {};
            const attempt = (what: string, change: () => void) => {
              try {
                change();
                attempts[what] = 'changed';
              } catch {
                attempts[what] = 'refused';
              }
            };
            attempt('scopes', () => (info.scopes as string[]).push('admin'));
            attempt('clientId', () => ((info as { clientId: string }).clientId = 'someone-else'));
            attempt('caller', () => ((info.extra as Record<string, unknown>)['caller'] = { subject: 'mallory' }));
            info.resource!.pathname = '/elsewhere';
            return { attempts };
          },
        });
        s.addTool({
          name: 'inspect',
          config: { scopes: ['read:whoami'] },
          handler: (_args, ctx) => {
            const info = ctx.http!.authInfo!;
            return { token: info.token, scopes: [...info.scopes], clientId: info.clientId, resource: info.resource!.href, caller: ctx.caller?.subject };
          },
        });
      },
    });
    resourceUrl = server.urls.resource;
  });
  after(() => server.close());

  it('is frozen: a tool cannot change what the next request with the same token is given', async () => {
    const tampered = await toolResult(await postMcp(resourceUrl, 'known-1', call('tamper'), LEGACY));
    assert.deepEqual(tampered['attempts'], { scopes: 'refused', clientId: 'refused', caller: 'refused' });
    const seen = await toolResult(await postMcp(resourceUrl, 'known-1', call('inspect'), LEGACY));
    assert.deepEqual(seen['scopes'], ['read:whoami']);
    assert.equal(seen['clientId'], '');
    assert.equal(seen['caller'], 'ada');
    assert.equal(seen['resource'], resourceUrl, 'the resource URL a tool changed was its own copy');
  });

  it('carries no token, whichever token the request bore, cached or not (no passthrough, MCP 2026-07-28)', async () => {
    for (const token of ['known-1', 'known-2', 'fresh-1', 'known-1', 'fresh-2']) {
      const seen = await toolResult(await postMcp(resourceUrl, token, call('inspect'), LEGACY));
      assert.equal(seen['token'], '', token);
      assert.equal(seen['caller'], 'ada', token);
    }
  });

  it('refuses a malformed token before a cache is asked, even one that would answer it', async () => {
    for (const header of ['Bearer known-1 extra', 'Bearer known-!', 'Bearer ', 'Bearer']) {
      const response = await fetch(resourceUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...LEGACY, authorization: header },
        body: call('inspect'),
      });
      assert.equal(response.status, 400, header);
      assert.match(response.headers.get('www-authenticate') ?? '', /invalid_request/, header);
    }
  });
});
