import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { nativeClientMetadata, registerClient } from '../helpers/authorize.js';
import { federatedTokens, OCTOCAT, startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';
import type { GitHubUser } from '../helpers/github-fixture.js';
import {
  addTwoScopeTool,
  assertInsufficientScope,
  assertInvalidToken,
  callTool,
  challenge,
  claimsOf,
  discoveryTests,
  dnsRebindingTests,
  ServerKeys,
  tokenTransportTests,
  TWO_SCOPE_TOOL,
  whoamiSubject,
  type ModeContext,
} from './support.js';

const REDIRECT = 'http://127.0.0.1:43111/callback';
const HUBOT: GitHubUser = { id: 480_938, login: 'hubot', name: 'Hubot', emails: [{ email: 'hubot@github.example', primary: true, verified: true }] };

/**
 * Security checklist §2.2 (R1, R6–R8, R10–R12) against federated mode: people sign in at a GitHub-shaped fixture,
 * an MCP client registers itself (DCR) and gets Gatehouse's own tokens; GitHub's tokens stay in the server.
 */
describe('checklist: federated mode (GitHub upstream)', () => {
  let server: FederatedTestServer;
  let clientId: string;
  let octocatToken = '';
  let hubotToken = '';
  const tokensFor = async (login: string, scope = 'read:whoami') =>
    (await federatedTokens({ server, clientId, redirectUri: REDIRECT, login, scope })).accessToken;
  const mode = (): ModeContext => ({
    urls: server.urls,
    port: server.port,
    token: octocatToken,
    authorizationServers: [server.urls.issuer],
    extraPaths: ['/.well-known/oauth-authorization-server', '/oauth/callback/github'],
  });

  before(async () => {
    server = await startGitHubFederated({ users: [OCTOCAT, HUBOT], setup: addTwoScopeTool });
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Checklist client' }));
    assert.equal(registered.status, 201);
    clientId = String(registered.body['client_id']);
    octocatToken = await tokensFor('octocat');
    hubotToken = await tokensFor('hubot');
  });
  after(() => server?.close());

  it('control: the token from the flow is accepted and carries the GitHub identity', async () => {
    const answer = await callTool(server.urls.resource, octocatToken);
    assert.equal(answer.status, 200);
    assert.deepEqual((answer.result?.['upstream'] as Record<string, unknown> | undefined)?.['username'], 'octocat');
  });

  describe('R1 audience', () => {
    it('R1 audience: our own key and grant, but aud another resource → 401 invalid_token', async () => {
      const keys = ServerKeys.load(server.dataDir);
      const claims = claimsOf(octocatToken);
      assert.equal(await whoamiSubject(server.urls.resource, await keys.sign(claims)), claims.sub, 'control: re-signed unchanged');
      for (const aud of [`${server.urls.origin}/other`, 'https://api.github.com']) {
        const answer = await callTool(server.urls.resource, await keys.sign({ ...claims, aud }));
        assertInvalidToken(answer, aud);
        assert.match(challenge(answer.headers)['error_description'] ?? '', /not issued for this resource/);
      }
    });
  });

  describe('R6 scope step-up', () => {
    it('R6 scope step-up: a token short of a tool scope → 403 insufficient_scope naming every scope the tool needs', async () => {
      assertInsufficientScope(await callTool(server.urls.resource, octocatToken, 'copy_file'), TWO_SCOPE_TOOL);
      const stepped = await tokensFor('octocat', ['read:whoami', ...TWO_SCOPE_TOOL].join(' '));
      assert.equal((await callTool(server.urls.resource, stepped, 'copy_file')).status, 200, 'control: after stepping up');
    });
  });

  describe('R7 discovery', () => discoveryTests(mode));
  describe('R8 token transport', () => tokenTransportTests(mode));

  describe('R10 no passthrough', () => {
    it("R10 no passthrough: GitHub's own access tokens (gho_…) from the flow → 401 at /mcp", async () => {
      // Whoever gets hold of an upstream token (a leaked log, another app) tries it directly at the MCP server.
      const upstream = server.github.secrets().filter((s) => s.startsWith('gho_'));
      assert.ok(upstream.length >= 2, 'GitHub issued access tokens during the flows');
      for (const token of upstream) assertInvalidToken(await callTool(server.urls.resource, token), 'gho_ token');
    });
  });

  describe('R11 session binding', () => {
    it("R11 session binding: hubot's token with octocat's claimed session id is answered as hubot; a session id alone → 401", async () => {
      const session = randomUUID();
      assert.equal(await whoamiSubject(server.urls.resource, hubotToken, { 'mcp-session-id': session }), claimsOf(hubotToken).sub);
      assert.equal(await whoamiSubject(server.urls.resource, octocatToken, { 'mcp-session-id': session }), claimsOf(octocatToken).sub);
      assert.equal((await callTool(server.urls.resource, undefined, 'whoami', { 'mcp-session-id': session })).status, 401);
    });
  });

  describe('R12 DNS rebinding', () => dnsRebindingTests(mode));
});
