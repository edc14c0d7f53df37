/**
 * examples/github/server.ts as a real process, configured from the environment the way a user runs it, with
 * the GitHub-shaped fixture standing in for github.com (web and API): a client registers, a person signs in
 * through Gatehouse's consent page and GitHub, and the GitHub tools answer with that person's data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serverUrls, type ServerUrls } from '../../src/resource/urls.js';
import { nativeClientMetadata, redeemCode, registerClient, type Browser } from '../helpers/authorize.js';
import { freePort } from '../helpers/cli.js';
import { callTool, federatedAuthorize, federatedBrowser, GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, OCTOCAT } from '../helpers/federated.js';
import { startGitHubFixture, type GitHubFixture } from '../helpers/github-fixture.js';
import { runExample, runExampleToExit } from '../helpers/example-process.js';
import type { RunningProcess } from '../helpers/process.js';
import { postMcp } from '../helpers/server.js';

const REDIRECT = 'http://127.0.0.1:43177/callback';

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** A pass-through in front of the fixture's API that records what the example sends to "GitHub". */
async function recordingProxy(target: string): Promise<{ url: string; requests: RecordedRequest[]; close(): Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) headers.set(name, value);
    }
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
    });
    const passed: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding'].includes(name)) passed[name] = value;
    });
    res.writeHead(answer.status, passed);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('examples/github/server.ts as a process', () => {
  let fixture: GitHubFixture;
  let api: Awaited<ReturnType<typeof recordingProxy>>;
  let example: RunningProcess;
  let dataDir: string;
  let port: number;
  let server: { urls: ServerUrls };
  let clientId: string;
  let browser: Browser;
  let accessToken: string;

  before(async () => {
    fixture = await startGitHubFixture({ clientId: GITHUB_CLIENT_ID, clientSecret: GITHUB_CLIENT_SECRET });
    fixture.addUser(OCTOCAT);
    api = await recordingProxy(fixture.url);
    // The callback registered "at GitHub" depends on the example's port, so pick the port first.
    port = await freePort();
    fixture.setCallbackUrl(`http://localhost:${port}/oauth/callback/github`);
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-github-example-'));
    // Only PATH and HOME come from the test's environment: no GITHUB_* or GATEHOUSE_* variable of this machine leaks in.
    example = runExample('github', {
      GITHUB_CLIENT_ID,
      GITHUB_CLIENT_SECRET,
      GITHUB_ALLOWED_USERS: 'octocat',
      GITHUB_WEB_URL: fixture.url,
      // The fixture's API is under /api; the recording proxy passes every request on to it.
      GITHUB_API_URL: `${api.url}/api`,
      PORT: String(port),
      DATA_DIR: dataDir,
    });
    try {
      // The notices come right after the endpoint line; wait for the last of them.
      await example.waitFor(/MCP endpoint: http\S+[\s\S]*GitHub: /, 30_000);
    } catch (error) {
      await example.stop();
      throw error;
    }
    server = { urls: serverUrls(`http://localhost:${port}`) };
    const registered = await registerClient(server, nativeClientMetadata(REDIRECT, { client_name: 'GitHub example test' }));
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    clientId = String(registered.body['client_id']);
  });

  after(async () => {
    await example?.stop();
    await api?.close();
    await fixture?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints its MCP URL and the callback URL to register in the GitHub OAuth app', () => {
    const output = example.text();
    assert.match(output, new RegExp(`MCP endpoint: http://localhost:${port}/mcp\\b`));
    assert.match(output, new RegExp(`Upstream callback: +http://localhost:${port}/oauth/callback/github\\s`));
    // The start-up check asked the fixture with that callback, and it was accepted: no warning.
    assert.doesNotMatch(output, /refused a sign-in with callback/);
    assert.ok(!output.includes(GITHUB_CLIENT_SECRET), 'the client secret is never printed');
  });

  it('challenges a request without a token, naming the GitHub scope', async () => {
    const response = await postMcp(server.urls.resource);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /scope="[^"]*github:read/);
  });

  it('signs a person in through its consent page and GitHub, and issues a token for the MCP endpoint', async () => {
    browser = federatedBrowser(server, fixture.url);
    const flow = await federatedAuthorize({ server, clientId, redirectUri: REDIRECT, login: 'octocat', scope: 'read:whoami github:read', browser });
    // Gatehouse's page named the app and described the GitHub scope before sending the browser to GitHub.
    assert.match(flow.pages[0]?.body ?? '', /GitHub example test/);
    assert.match(flow.pages[0]?.body ?? '', /Read your GitHub profile and list your repositories/);
    const code = flow.params.get('code');
    assert.ok(code, `no code: ${flow.location.href}`);
    const redeemed = await redeemCode(server, { client: { clientId }, code, redirectUri: REDIRECT, codeVerifier: flow.codeVerifier });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    accessToken = String(redeemed.body['access_token']);
    assert.equal(fixture.stats.codeGrants, 1);
  });

  it('answers github_profile with the signed-in GitHub user', async () => {
    const profile = await callTool(server, accessToken, 'github_profile');
    assert.equal(profile['login'], 'octocat');
    assert.equal(profile['name'], 'The Octocat');
    assert.equal(profile['html_url'], 'https://github.com/octocat');
    assert.ok('public_repos' in profile);
  });

  it('answers github_repositories with their repositories, honouring limit', async () => {
    const all = await callTool(server, accessToken, 'github_repositories');
    assert.deepEqual(all['repositories'], [
      {
        name: 'hello-world',
        full_name: 'octocat/hello-world',
        private: false,
        description: 'My first repository',
        html_url: 'https://github.com/octocat/hello-world',
      },
      { name: 'secret-plans', full_name: 'octocat/secret-plans', private: true, description: null, html_url: 'https://github.com/octocat/secret-plans' },
    ]);
    const one = await callTool(server, accessToken, 'github_repositories', { limit: 1 });
    assert.deepEqual(
      (one['repositories'] as Array<{ name: string }>).map((r) => r.name),
      ['hello-world'],
    );
    const asked = api.requests.filter((r) => r.path.startsWith('/api/user/repos'));
    assert.deepEqual(
      asked.map((r) => `${r.method} ${r.path}`),
      ['GET /api/user/repos?per_page=30&sort=updated', 'GET /api/user/repos?per_page=1&sort=updated'],
    );
    await assert.rejects(callTool(server, accessToken, 'github_repositories', { limit: 101 }));
  });

  it('calls the GitHub API the way GitHub asks: JSON media type, User-Agent, API version, bearer token', () => {
    const toolCalls = api.requests.filter((r) => r.path === '/api/user' || r.path.startsWith('/api/user/repos'));
    assert.ok(toolCalls.length >= 3);
    for (const request of toolCalls) {
      assert.equal(request.headers['accept'], 'application/vnd.github+json');
      assert.ok(request.headers['user-agent'], 'a User-Agent is sent');
      assert.equal(request.headers['x-github-api-version'], '2022-11-28');
      assert.match(request.headers['authorization'] ?? '', /^Bearer gho_/);
    }
  });

  it('answers whoami with the GitHub identity behind the account', async () => {
    const who = await callTool(server, accessToken, 'whoami');
    assert.deepEqual(who['upstream'], {
      source: 'github',
      subject: String(OCTOCAT.id),
      username: 'octocat',
      email: 'octocat@github.example',
      emailVerified: true,
    });
  });

  it('tells the person to sign in with GitHub again when GitHub rejects the token, and recovers once they do', async () => {
    fixture.expireAllAccessTokens();
    await assert.rejects(callTool(server, accessToken, 'github_profile'), (error: Error) => {
      assert.match(error.message, /Sign in with GitHub again at http:\/\/localhost:\d+\/account/);
      for (const secret of fixture.secrets()) assert.ok(!error.message.includes(secret), 'the error carries no token');
      return true;
    });

    // What the message says to do: the account page, "Continue with GitHub", and back.
    const page = await browser.navigate(`${server.urls.issuer}/account`);
    assert.equal(page.kind, 'page');
    const back = await browser.submit(page as Extract<typeof page, { kind: 'page' }>, { source: 'github' });
    assert.equal(back.kind, 'page');
    assert.equal(back.url.pathname, '/account');
    assert.equal(fixture.stats.codeGrants, 2);

    // The same Gatehouse token now reaches GitHub with the fresh GitHub token.
    const profile = await callTool(server, accessToken, 'github_profile');
    assert.equal(profile['login'], 'octocat');
  });

  it('never prints a GitHub token or the client secret', () => {
    const output = example.text();
    for (const secret of fixture.secrets()) assert.ok(!output.includes(secret), 'a fixture secret appeared in the output');
  });
});

describe('examples/github/server.ts with missing configuration', () => {
  it('exits non-zero naming GITHUB_CLIENT_ID when it is not set', async () => {
    const { code, stderr, output } = await runExampleToExit('github', { GITHUB_CLIENT_SECRET, PORT: String(await freePort()) });
    assert.notEqual(code, 0);
    assert.match(stderr, /Missing required environment variable GITHUB_CLIENT_ID\b/);
    assert.doesNotMatch(output, /MCP endpoint/);
  });

  it('exits non-zero naming GITHUB_CLIENT_SECRET when it is not set', async () => {
    const { code, stderr } = await runExampleToExit('github', { GITHUB_CLIENT_ID, PORT: String(await freePort()) });
    assert.notEqual(code, 0);
    assert.match(stderr, /Missing required environment variable GITHUB_CLIENT_SECRET\b/);
  });

  it('refuses a plain-http public URL that is not this machine', async () => {
    const { code, stderr } = await runExampleToExit('github', {
      GITHUB_CLIENT_ID,
      GITHUB_CLIENT_SECRET,
      PUBLIC_URL: 'http://mcp.example.com',
      PORT: String(await freePort()),
    });
    assert.notEqual(code, 0);
    assert.match(stderr, /PUBLIC_URL must use https/);
  });

  it('exits non-zero naming GITHUB_ALLOWED_USERS and GITHUB_ALLOWED_ORGS when neither says who may sign in', async () => {
    const { code, stderr, output } = await runExampleToExit('github', { GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, PORT: String(await freePort()) });
    assert.notEqual(code, 0);
    assert.match(stderr, /GITHUB_ALLOWED_USERS\b.*GITHUB_ALLOWED_ORGS\b/);
    assert.doesNotMatch(output, /MCP endpoint/);
  });
});
