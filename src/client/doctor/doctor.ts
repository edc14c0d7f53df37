import { checkAuthServerMetadata } from './authserver-metadata.js';
import { checkChallenge } from './challenge.js';
import { checkCors } from './cors.js';
import type { Facts } from './facts.js';
import { Http } from './http.js';
import { checkLogin } from './login.js';
import { checkRegistration } from './registration.js';
import { type Check, type DoctorReport, fail, pass } from './report.js';
import { checkResourceMetadata } from './resource-metadata.js';
import { canonicalResource } from './resource-url.js';
import { checkScopes } from './scopes.js';
import { type SignInOptions, signInForToken } from './sign-in.js';
import { checkTimings } from './timing.js';
import { checkCertificate, checkEndpointsHttps, checkHttps } from './transport.js';

export interface DoctorOptions {
  /** Go on to a real authorization: read what the token says and call tools/list with it. */
  login?: boolean;
  /** The access token for `login`; without one, doctor signs in as `gatehouse connect` does (see `signIn`). */
  token?: string;
  /** With `login` and no `token`: how the person is sent to sign in (the browser by default, or a printed URL). */
  signIn?: SignInOptions;
  /** Register (then delete, where allowed) one client per preset, to see which redirect URIs are accepted. */
  registerProbe?: boolean;
  /** The browser origin whose CORS access is checked (default: the MCP Inspector's, http://localhost:6274). */
  origin?: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** A request slower than this is a warning (default 2 s). */
  slowMs?: number;
  /** Largest response body read (default 256 KiB: discovery documents are small). */
  maxBytes?: number;
}

export const DEFAULT_ORIGIN = 'http://localhost:6274';

/** Why `url` cannot be diagnosed, or undefined when it can: an absolute http(s) URL without credentials or fragment. */
export function doctorUrlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return `"${url}" is not a URL; give the MCP endpoint's, e.g. https://mcp.example.com/mcp`;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return `"${url}" is not an http(s) URL`;
  if (parsed.username || parsed.password) return 'the URL must not carry credentials';
  if (parsed.hash) return 'the URL must not have a #fragment (a resource identifier has none)';
  return undefined;
}

/**
 * Walk an MCP server's authorization discovery the way a client does, without credentials (or with a token,
 * when `login` is set), and report every check: pass, warn or fail, with why and how to fix. Works on any MCP
 * server. Throws only for a URL that cannot be diagnosed (see `doctorUrlProblem`).
 */
export async function doctor(url: string, options: DoctorOptions = {}): Promise<DoctorReport> {
  const problem = doctorUrlProblem(url);
  if (problem) throw new TypeError(problem);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const parsed = new URL(url);
  const facts: Facts = {
    url: parsed,
    resource: canonicalResource(parsed),
    http: new Http({ timeoutMs, maxBytes: options.maxBytes ?? 256 * 1024 }),
    settings: {
      login: options.login ?? false,
      token: options.token,
      registerProbe: options.registerProbe ?? false,
      origin: options.origin ?? DEFAULT_ORIGIN,
      slowMs: options.slowMs ?? 2000,
    },
  };
  const checks: Check[] = [];
  checkHttps(facts, checks);
  await checkCertificate(facts, checks, timeoutMs);
  if (await checkChallenge(facts, checks)) {
    await checkResourceMetadata(facts, checks);
    await checkAuthServerMetadata(facts, checks);
    checkScopes(facts, checks);
    await checkRegistration(facts, checks);
    checkEndpointsHttps(facts, checks);
    await checkCors(facts, checks);
    if (facts.settings.login) {
      const token = options.token ?? (await signedIn(facts, checks, options.signIn ?? {}));
      if (token) await checkLogin(facts, checks, token, timeoutMs);
    }
  }
  checkTimings(facts, checks);
  return { url, ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** A token from a sign-in done now, with a check saying how it went; undefined when it failed. */
async function signedIn(facts: Facts, checks: Check[], options: SignInOptions): Promise<string | undefined> {
  try {
    const token = await signInForToken(facts.url, options);
    checks.push(pass('login.sign-in', 'signed in: discovery, registration, authorization code with PKCE and the token request all worked'));
    return token;
  } catch (error) {
    checks.push(
      fail(
        'login.sign-in',
        `signing in failed: ${(error as Error).message}`,
        'run `gatehouse connect <url> --list` to watch the authorization step by step, and fix the first check above that fails',
      ),
    );
    return undefined;
  }
}
