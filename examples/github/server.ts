/**
 * An MCP server that people sign in to with their GitHub account, and whose tools call the GitHub API as them.
 *
 * Gatehouse runs in federated mode: MCP clients register, get consent and receive tokens from Gatehouse's own
 * authorization server, which sends the person to GitHub (an OAuth app) to sign in. The GitHub token that comes
 * back stays in this process, sealed at rest; tools ask for it with `ctx.caller.upstream.accessToken()`. The MCP
 * client only ever holds Gatehouse's token.
 *
 * Run: GITHUB_CLIENT_ID=... GITHUB_CLIENT_SECRET=... GITHUB_ALLOWED_USERS=<your login> npx tsx examples/github/server.ts
 */
import { z } from 'zod';
// Outside this repository, import from 'mcp-gatehouse' instead.
import {
  createLogger,
  federated,
  gatehouse,
  github,
  serverUrls,
  UpstreamReauthenticationRequired,
  whoamiTool,
  type AuthMode,
  type Caller,
  type ToolReturn,
} from '../../src/index.js';

/** Stop before starting anything, with one line that says what to fix. */
function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** Read a variable the server cannot start without; say exactly which one is missing. */
function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) fail(`Missing required environment variable ${name} (see examples/github/README.md)`);
  return value;
}

/** An optional URL variable, without trailing slashes; https unless it points at this machine. */
function optionalUrl(name: string, fallback: string): string {
  const value = (process.env[name]?.trim() || fallback).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} must be an absolute URL, got "${value}"`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    fail(`${name} must use https (plain http only for localhost), got ${url.origin}`);
  }
  return value;
}

// The OAuth app's credentials (GitHub → Settings → Developer settings → OAuth Apps).
const clientId = required('GITHUB_CLIENT_ID');
const clientSecret = required('GITHUB_CLIENT_SECRET');
const port = Number(process.env['PORT'] || 8000);
// What browsers and MCP clients use to reach this server. GitHub sends people back to
// <PUBLIC_URL>/oauth/callback/github, so the OAuth app must have exactly that callback URL.
const publicUrl = optionalUrl('PUBLIC_URL', `http://localhost:${port}`);
// GitHub Enterprise Server: GITHUB_WEB_URL=https://github.example.com; its API is then <that>/api/v3.
const webUrl = optionalUrl('GITHUB_WEB_URL', 'https://github.com');
const apiUrl = optionalUrl('GITHUB_API_URL', new URL(webUrl).host === 'github.com' ? 'https://api.github.com' : `${webUrl}/api/v3`);
// Who may sign in: GitHub logins or numeric user ids, and/or members of GitHub organisations. At least one.
const list = (name: string) =>
  (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const allowedUsers = list('GITHUB_ALLOWED_USERS');
const allowedOrgs = list('GITHUB_ALLOWED_ORGS');
if (allowedUsers.length === 0 && allowedOrgs.length === 0) {
  fail(
    'Set GITHUB_ALLOWED_USERS (GitHub logins or ids) or GITHUB_ALLOWED_ORGS (organisations): without them nobody may sign in (see examples/github/README.md)',
  );
}
// Signing keys, the sealed GitHub tokens and everything else Gatehouse keeps. Default ./.gatehouse.
const dataDir = process.env['DATA_DIR']?.trim() || undefined;

/** Where a person whose GitHub token stopped working signs in with GitHub again. */
let accountPage: string;
try {
  accountPage = `${serverUrls(publicUrl).issuer}/account`;
} catch (error) {
  fail(`PUBLIC_URL: ${(error as Error).message}`);
}
const logger = createLogger();

// ---------------------------------------------------------------------------------------------------------
// Calling GitHub as the caller

/** GitHub refuses API requests without a User-Agent, and recommends pinning the API version. */
const GITHUB_HEADERS = {
  Accept: 'application/vnd.github+json',
  'User-Agent': 'mcp-gatehouse-github-example',
  'X-GitHub-Api-Version': '2022-11-28',
};

/** A failure to report to the person as the tool's result. Its message never includes a token. */
class GitHubToolError extends Error {}

const SIGN_IN_AGAIN =
  `GitHub no longer accepts your sign-in (it expired, or this app's access was revoked on GitHub). ` +
  `Sign in with GitHub again at ${accountPage}, then retry.`;

/** GET a GitHub API path with the caller's GitHub token, or throw a GitHubToolError saying what went wrong. */
async function githubGet<T>(caller: Caller | undefined, path: string): Promise<T> {
  const upstream = caller?.upstream;
  if (upstream?.source !== 'github') {
    throw new GitHubToolError('This tool needs a GitHub sign-in: connect to this server over HTTP and sign in with GitHub.');
  }

  let token: string;
  try {
    // Refreshed first if GitHub gave an expiring token that is about to run out.
    token = await upstream.accessToken();
  } catch (error) {
    if (error instanceof UpstreamReauthenticationRequired) throw new GitHubToolError(SIGN_IN_AGAIN);
    logger.warn({ event: 'github.token_unavailable', reason: (error as Error).message }, 'no GitHub token for the caller');
    throw new GitHubToolError('Your GitHub sign-in could not be loaded right now; try again in a moment.');
  }

  let response: Response;
  try {
    response = await fetch(`${apiUrl}${path}`, {
      headers: { ...GITHUB_HEADERS, Authorization: `Bearer ${token}` },
      // Never follow a redirect with the token attached: the API has no reason to send one for these paths.
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    logger.warn({ event: 'github.unreachable', path, reason: (error as Error).message }, 'GitHub API unreachable');
    throw new GitHubToolError(`GitHub (${new URL(apiUrl).host}) could not be reached; try again in a moment.`);
  }
  if (response.ok) return (await response.json()) as T;

  const message = await githubMessage(response);
  logger.warn({ event: 'github.api_error', path, status: response.status }, 'GitHub API refused a request');
  if (response.status === 401) throw new GitHubToolError(SIGN_IN_AGAIN);
  if ((response.status === 403 || response.status === 429) && response.headers.get('x-ratelimit-remaining') === '0') {
    const reset = Number(response.headers.get('x-ratelimit-reset'));
    const when = Number.isFinite(reset) && reset > 0 ? ` It resets at ${new Date(reset * 1000).toISOString()}.` : '';
    throw new GitHubToolError(`GitHub's API rate limit for your account is used up.${when}`);
  }
  throw new GitHubToolError(`GitHub answered ${response.status} to GET ${path}${message ? `: ${message}` : ''}`);
}

/** The `message` of a GitHub error answer (GitHub's own words, which never repeat the token), shortened. */
async function githubMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown };
    return typeof body.message === 'string' ? body.message.replace(/\s+/g, ' ').slice(0, 200) : '';
  } catch {
    return '';
  }
}

/** Run a tool's work; a GitHubToolError becomes an error result the MCP client shows to the person. */
async function asToolResult(work: () => Promise<ToolReturn>): Promise<ToolReturn> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof GitHubToolError) return { isError: true, content: [{ type: 'text', text: error.message }] };
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The server

/** The one scope both GitHub tools need; the description is what the person approves on the consent page. */
const GITHUB_READ = 'github:read';
const githubAccess = {
  scopes: [GITHUB_READ],
  scopeDescriptions: { [GITHUB_READ]: 'Read your GitHub profile and list your repositories, as the GitHub account you sign in with' },
};

interface GitHubUser {
  login: string;
  name?: string | null;
  public_repos?: number;
  html_url: string;
}

interface GitHubRepository {
  name: string;
  full_name: string;
  private: boolean;
  description: string | null;
  html_url: string;
}

let auth: AuthMode;
try {
  auth = federated({
    dataDir,
    // Organisation membership is read with read:org, asked for only when organisations decide.
    upstreams: [github({ clientId, clientSecret, webUrl, apiUrl, ...(allowedOrgs.length && { scopes: ['read:user', 'user:email', 'read:org'] }) })],
    admit: { users: allowedUsers, githubOrgs: allowedOrgs },
  });
} catch (error) {
  fail(`Invalid configuration: ${(error as Error).message}`);
}

const server = gatehouse({
  name: 'GitHub (Gatehouse example)',
  instructions: 'Tools that read the GitHub account of the person who signed in: their profile and their repositories.',
  publicUrl,
  auth,
  logger,
})
  // whoami shows the Gatehouse account and, under `upstream`, the GitHub identity behind it.
  .addTool(whoamiTool)
  .tool(
    'github_profile',
    {
      title: 'GitHub profile',
      description: "The signed-in person's GitHub profile: login, name, number of public repositories and profile URL.",
      ...githubAccess,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (_args, { caller }) =>
      asToolResult(async () => {
        const user = await githubGet<GitHubUser>(caller, '/user');
        return {
          login: user.login,
          name: user.name ?? null,
          public_repos: typeof user.public_repos === 'number' ? user.public_repos : null,
          html_url: user.html_url,
        };
      }),
  )
  .tool(
    'github_repositories',
    {
      title: 'GitHub repositories',
      description: "The signed-in person's GitHub repositories, most recently updated first.",
      ...githubAccess,
      inputSchema: z.object({
        limit: z.number().int().min(1).max(100).optional().describe('How many repositories to return (1 to 100, default 30)'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    ({ limit }, { caller }) =>
      asToolResult(async () => {
        const query = new URLSearchParams({ per_page: String(limit ?? 30), sort: 'updated' });
        const repositories = await githubGet<GitHubRepository[]>(caller, `/user/repos?${query}`);
        return {
          repositories: repositories.map((repo) => ({
            name: repo.name,
            full_name: repo.full_name,
            private: repo.private,
            description: repo.description ?? null,
            html_url: repo.html_url,
          })),
        };
      }),
  );

const running = await server.listen(port).catch((error: unknown) => {
  fail(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
});
console.log(`MCP endpoint: ${running.urls.resource}`);
// The account page, and the callback URL to register in the GitHub OAuth app.
for (const line of running.notices) console.log(line);
console.log(`  GitHub:             ${webUrl} (API ${apiUrl})`);

// Stop cleanly on Ctrl-C or a container stop, so in-flight requests can finish.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void running.close().then(() => process.exit(0)));
}
