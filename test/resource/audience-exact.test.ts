import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jwt } from '../../src/index.js';
import { TestIssuer } from '../helpers/issuer.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertInvalidToken, callTool, challenge } from '../checklist/support.js';

const RESOURCE = 'https://mcp.example.com/team/mcp';

/**
 * RFC 8707 §2 and MCP's canonical resource form: a token's `aud` must be this server's resource identifier,
 * exactly. Each variant below names another string a sloppy comparison (case folding, URL normalisation,
 * trailing-slash forgiveness, prefix matching) would let through; an attacker who gets an issuer to mint a
 * token for a look-alike resource — or a server that names itself that way — must not reach this one.
 */
const VARIANTS: Array<[string, string | string[]]> = [
  ['a trailing slash', `${RESOURCE}/`],
  ['an upper-case scheme', 'HTTPS://mcp.example.com/team/mcp'],
  ['an upper-case host', 'https://MCP.Example.COM/team/mcp'],
  ['an explicit default port', 'https://mcp.example.com:443/team/mcp'],
  ['an added query', `${RESOURCE}?tenant=other`],
  ['an empty query', `${RESOURCE}?`],
  ['a fragment', `${RESOURCE}#frag`],
  ['an empty fragment', `${RESOURCE}#`],
  ['a different path case', 'https://mcp.example.com/team/MCP'],
  ['http instead of https', 'http://mcp.example.com/team/mcp'],
  ['a prefix of the path', 'https://mcp.example.com/team'],
  ['the bare origin', 'https://mcp.example.com'],
  ['the origin with a slash', 'https://mcp.example.com/'],
  ['a longer path', `${RESOURCE}/tools`],
  ['a suffix on the last segment', `${RESOURCE}x`],
  ['a dot segment', 'https://mcp.example.com/team/./mcp'],
  ['a percent-encoded letter', 'https://mcp.example.com/team/%6Dcp'],
  ['surrounding whitespace', ` ${RESOURCE} `],
  ['an array holding only a variant', [`${RESOURCE}/`]],
  ['an array holding only variants', ['https://MCP.EXAMPLE.COM/team/mcp', 'https://mcp.example.com:443/team/mcp/', `${RESOURCE}#`]],
];

describe('the audience is this resource, exactly (resource mode, JWT issuer)', () => {
  let issuer: TestIssuer;
  let server: TestServer;
  let local: string;

  before(async () => {
    issuer = await TestIssuer.start();
    server = await startServer(jwt({ issuer: issuer.url, jwksUri: issuer.jwksUri }), {
      issuer: issuer.url,
      publicUrl: 'https://mcp.example.com/team',
      allowedHosts: ['127.0.0.1'],
    });
    assert.equal(server.urls.resource, RESOURCE);
    local = `http://127.0.0.1:${server.port}/team/mcp`;
  });
  after(async () => {
    await server?.close();
    await issuer?.close();
  });

  it('control: a token for the exact resource identifier is accepted, alone or among others', async () => {
    for (const aud of [RESOURCE, ['https://other.example/mcp', RESOURCE]]) {
      const answer = await callTool(local, await issuer.token(RESOURCE, { aud }));
      assert.equal(answer.status, 200, `${JSON.stringify(aud)}: ${answer.body.slice(0, 200)}`);
    }
  });

  for (const [name, aud] of VARIANTS) {
    it(`refuses a token whose aud is ${name} (${JSON.stringify(aud)})`, async () => {
      const answer = await callTool(local, await issuer.token(RESOURCE, { aud }));
      assertInvalidToken(answer, name);
      assert.match(challenge(answer.headers)['error_description'] ?? '', /not issued for this resource/);
    });
  }
});
