import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { decodeJwt, nativeClientMetadata, registerClient } from '../helpers/authorize.js';
import { callTool, federatedAuthorize, federatedTokens, OCTOCAT, startGitHubFederated, type FederatedTestServer } from '../helpers/federated.js';

const REDIRECT = 'http://127.0.0.1:43111/callback';

describe('federated sign-in through GitHub', () => {
  let server: FederatedTestServer;
  let clientId: string;

  before(async () => {
    server = await startGitHubFederated({
      setup: (s) =>
        s.tool('list_repositories', { scopes: ['read:whoami'], inputSchema: z.object({}) }, async (_args, { caller }) => {
          const token = await caller!.upstream!.accessToken();
          const response = await fetch(`${server.github.apiUrl}/user/repos`, { headers: { Authorization: `Bearer ${token}`, 'User-Agent': 'test' } });
          const repos = (await response.json()) as Array<{ full_name: string }>;
          return { repositories: repos.map((r) => r.full_name) };
        }),
    });
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'Flow test' }));
    assert.equal(registered.status, 201);
    clientId = String(registered.body['client_id']);
  });
  after(() => server.close());

  it('signs in at GitHub and issues Gatehouse tokens that carry the GitHub identity', async () => {
    const { accessToken, refreshToken, flow } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    assert.ok(refreshToken);
    assert.equal(flow.params.get('iss'), server.urls.issuer);
    const claims = decodeJwt(accessToken);
    assert.equal(claims['aud'], server.urls.resource);
    assert.equal(claims['iss'], server.urls.issuer);
    const who = await callTool(server, accessToken, 'whoami');
    assert.deepEqual(who['upstream'], { source: 'github', subject: String(OCTOCAT.id), username: 'octocat', email: 'octocat@github.example', emailVerified: true });
    assert.equal(server.github.stats.codeGrants, 1);
  });

  it('lets a tool call the GitHub API with the upstream token', async () => {
    const { accessToken } = await federatedTokens({ server, clientId, redirectUri: REDIRECT, login: 'octocat' });
    const result = await callTool(server, accessToken, 'list_repositories');
    assert.deepEqual(result['repositories'], ['octocat/hello-world', 'octocat/secret-plans']);
  });

  it('forwards a denial at GitHub to the app as access_denied', async () => {
    const flow = await federatedAuthorize({ server, clientId, redirectUri: REDIRECT, login: 'octocat', upstreamDecision: 'cancel', extraParams: { prompt: 'login' } });
    assert.equal(flow.location.origin + flow.location.pathname, REDIRECT);
    assert.equal(flow.params.get('error'), 'access_denied');
    assert.equal(flow.params.get('state'), flow.state);
  });
});
