import { noteDataDir } from './leak-record.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedOptions } from '../../src/authserver/embedded.js';
import { federated } from '../../src/authserver/federated.js';
import { Accounts } from '../../src/authserver/people/accounts.js';
import { github, type GitHubOptions } from '../../src/authserver/upstream/github.js';
import type { UpstreamSource } from '../../src/authserver/upstream/source.js';
import { ClientRegistry } from '../../src/authserver/clients/registry.js';
import { gatehouse, whoamiTool, type GatehouseOptions, type GatehouseServer } from '../../src/index.js';
import { matrixStore } from './matrix.js';
import { authorizationUrl, Browser, rememberSecret, redeemCode, type AuthorizationRequest, type FormPage, type PageStep, type Step } from './authorize.js';
import type { EmbeddedTestServer } from './embedded-server.js';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startGitHubFixture, type GitHubFixture, type GitHubFixtureOptions, type GitHubUser } from './github-fixture.js';
import { captureLogger } from './server.js';

export const GITHUB_CLIENT_ID = 'Iv1.gatehousetest0001';
export const GITHUB_CLIENT_SECRET = 'github-app-secret-0123456789abcdef0123456789abcdef';

export const OCTOCAT: GitHubUser = {
  id: 583231,
  login: 'octocat',
  name: 'The Octocat',
  email: null,
  emails: [
    { email: 'octocat@github.example', primary: true, verified: true },
    { email: 'old@github.example', primary: false, verified: false },
  ],
  repos: [
    { name: 'hello-world', description: 'My first repository' },
    { name: 'secret-plans', private: true },
  ],
};

export interface FederatedTestServer extends EmbeddedTestServer {
  github: GitHubFixture;
}

/**
 * A federated Gatehouse signing people in at the GitHub-shaped fixture (each its own loopback server), with a
 * SQLite store in a fresh data directory. Without `admit`, it admits any fixture account
 * (`dangerouslyAllowAnyUpstreamAccount`): for the tests about something other than admission.
 */
export async function startGitHubFederated(
  options: Partial<EmbeddedOptions> & {
    fixture?: Partial<GitHubFixtureOptions>;
    users?: GitHubUser[];
    /** Options of the GitHub source (scopes…). */
    github?: Partial<GitHubOptions>;
    extraUpstreams?: UpstreamSource[];
    setup?: (s: GatehouseServer) => void;
    /** The port to listen on, when another upstream's callback must be known first. */
    port?: number;
  } & Pick<GatehouseOptions, 'brand'> = {},
): Promise<FederatedTestServer> {
  const fixture = await startGitHubFixture({ clientId: GITHUB_CLIENT_ID, clientSecret: GITHUB_CLIENT_SECRET, ...options.fixture });
  for (const user of options.users ?? [OCTOCAT]) fixture.addUser(user);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gatehouse-federated-'));
  const { store, cleanup, cliArgs } =
    typeof options.store === 'object' ? { store: options.store, cleanup: async () => {}, cliArgs: [] } : await matrixStore(dataDir);
  const { logger, lines } = captureLogger();
  noteDataDir(dataDir);
  const upstream = github({ clientId: GITHUB_CLIENT_ID, clientSecret: GITHUB_CLIENT_SECRET, webUrl: fixture.url, apiUrl: fixture.apiUrl, ...options.github });
  // The callback URL is known once the port is; GitHub's own check (the fixture) compares against it.
  const port = options.port ?? (await freeLoopbackPort());
  fixture.setCallbackUrl(`http://localhost:${port}/oauth/callback/github`);
  const server = gatehouse({
    name: 'Federated test',
    auth: federated({
      ...(!options.admit && { dangerouslyAllowAnyUpstreamAccount: true }),
      ...options,
      dataDir,
      store,
      upstreams: [upstream, ...(options.extraUpstreams ?? [])],
    }),
    logger,
    ...(options.brand && { brand: options.brand }),
  }).addTool(whoamiTool);
  options.setup?.(server);
  const running = await server.listen(port);
  const close = running.close.bind(running);
  return Object.assign(running, {
    store,
    storeArgs: cliArgs,
    accounts: new Accounts(store),
    clients: new ClientRegistry(store),
    dataDir,
    logs: lines,
    server,
    github: fixture,
    close: async () => {
      await close();
      await fixture.close();
      await cleanup();
    },
  });
}

async function freeLoopbackPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface FederatedAuthorizeOptions extends AuthorizationRequest {
  server: FederatedTestServer | (AuthorizationRequest['server'] & { github?: undefined });
  /** Which identity source to choose on Gatehouse's page. Default github. */
  source?: string;
  /** The GitHub login to sign in as at the fixture. */
  login?: string;
  /** Credentials for an upstream provider's password page (an OpenID provider). */
  email?: string;
  password?: string;
  /** What to answer on Gatehouse's consent (the sign-in page before GitHub, or the consent page of a session). */
  decision?: 'allow' | 'deny';
  /** What to answer on GitHub's own screen, if it shows one. Default authorize. */
  upstreamDecision?: 'authorize' | 'cancel';
  browser?: Browser;
}

export interface FederatedAuthorizeResult {
  location: URL;
  params: URLSearchParams;
  codeVerifier?: string;
  state: string;
  browser: Browser;
  /** Every page shown along the way, Gatehouse's and GitHub's. */
  pages: PageStep[];
}

/** A browser that follows redirects between Gatehouse and its upstream provider, as a real one does. */
export function federatedBrowser(server: FederatedAuthorizeOptions['server'], upstreamOrigin = server.github?.url): Browser {
  return new Browser(server, { alsoFollow: upstreamOrigin ? [new URL(upstreamOrigin).origin] : [] });
}

export const isUpstreamChoice = (step: Step): step is FormPage => step.kind === 'page' && upstreamAction(step) !== undefined;

/** Where the page's "continue with <provider>" form posts, if it has one. */
export function upstreamAction(page: PageStep): URL | undefined {
  const action = /<form method="post" action="([^"]*\/interaction\/[^/"]+\/upstream)"/.exec(page.body)?.[1];
  return action ? new URL(action.replace(/&amp;/g, '&'), page.url) : undefined;
}
export const isGitHubScreen = (step: Step): step is FormPage => step.kind === 'page' && step.form?.action.pathname === '/login/oauth/authorize';
export const isConsent = (step: Step): step is FormPage => step.kind === 'page' && step.form?.action.pathname.endsWith('/consent') === true;
export const isPasswordPage = (step: Step): step is FormPage => step.kind === 'page' && step.form?.action.pathname.endsWith('/login') === true;

/** The hidden and text inputs of a page's first form, by name. */
export function formFields(body: string): Record<string, string> {
  const form = /<form\b[\s\S]*?<\/form>/i.exec(body)?.[0] ?? '';
  const fields: Record<string, string> = {};
  for (const input of form.matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
    const value = /\bvalue="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name)
      fields[name] = value
        .replace(/&amp;/g, '&')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>');
  }
  return fields;
}

/**
 * The whole front channel of a federated sign-in: Gatehouse's consent (before GitHub), GitHub's screen when it
 * shows one, back through the callback, any consent page of an existing session, up to the redirect to the client.
 */
export async function federatedAuthorize(options: FederatedAuthorizeOptions): Promise<FederatedAuthorizeResult> {
  const browser = options.browser ?? federatedBrowser(options.server);
  const { url, codeVerifier, state } = authorizationUrl(options);
  const pages: PageStep[] = [];
  let step = await browser.navigate(url);
  for (let i = 0; i < 6; i++) {
    if (step.kind === 'redirect') {
      const params = new URLSearchParams(step.location.search);
      rememberSecret(options.server, params.get('code'));
      return { location: step.location, params, codeVerifier, state, browser, pages };
    }
    pages.push(step);
    if (isUpstreamChoice(step)) {
      const choice: Record<string, string> = options.decision === 'deny' ? { decision: 'deny' } : { source: options.source ?? 'github' };
      step = await browser.post(upstreamAction(step)!, { csrf: step.form!.csrf, ...choice });
    } else if (isGitHubScreen(step)) {
      const fields = { ...formFields(step.body), login: options.login ?? '', decision: options.upstreamDecision ?? 'authorize' };
      step = await browser.post(step.form!.action, fields, { origin: step.url.origin });
    } else if (isPasswordPage(step)) {
      step = await browser.submit(step, { email: options.email ?? '', password: options.password ?? '' }, { origin: step.url.origin });
    } else if (isConsent(step)) {
      step = await browser.submit(step, { decision: options.decision ?? 'allow' }, { origin: step.url.origin });
    } else {
      throw new Error(`the federated flow stopped on ${step.url.href} with status ${step.status}: ${step.body.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }
  throw new Error('the federated flow did not finish');
}

/** Authorize through GitHub and redeem the code: the client's tokens. */
export async function federatedTokens(
  options: FederatedAuthorizeOptions,
): Promise<{ accessToken: string; refreshToken: string; flow: FederatedAuthorizeResult }> {
  const flow = await federatedAuthorize(options);
  const code = flow.params.get('code');
  if (!code) throw new Error(`no code: ${flow.location.href}`);
  const response = await redeemCode(options.server, {
    client: { clientId: options.clientId },
    code,
    redirectUri: options.redirectUri,
    codeVerifier: flow.codeVerifier,
  });
  if (response.status !== 200) throw new Error(`code redemption failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { accessToken: String(response.body['access_token']), refreshToken: String(response.body['refresh_token']), flow };
}

/** Call a tool with the official MCP client and a bearer token; the tool's structured result. */
export async function callTool(
  server: { urls: { resource: string } },
  accessToken: string,
  name: string,
  args: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const client = new Client({ name: 'federated-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.urls.resource), { requestInit: { headers: { Authorization: `Bearer ${accessToken}` } } }),
  );
  try {
    const result = await client.callTool({ name, arguments: args });
    if (result.isError) throw new Error(`tool ${name} failed: ${JSON.stringify(result.content)}`);
    return (result.structuredContent ?? JSON.parse((result.content as Array<{ text: string }>)[0]!.text)) as Record<string, unknown>;
  } finally {
    await client.close();
  }
}
