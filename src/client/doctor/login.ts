import { decodeJwt, type JWTPayload } from 'jose';
import { type Facts, scopeList, strings } from './facts.js';
import { type Check, fail, pass, skip, warn } from './report.js';

/** An access token living longer than this is a warning: MCP asks for short-lived access tokens. */
const LONG_LIVED_SECONDS = 24 * 3600;

/**
 * With a token: what it says (audience, scopes, expiry) against what the server asked for, then a real
 * `tools/list` through the official MCP client, which is the proof that counts.
 */
export async function checkLogin(facts: Facts, checks: Check[], token: string, timeoutMs: number): Promise<void> {
  const claims = readClaims(token);
  if (!claims) {
    checks.push(skip('login.token-claims', 'the token is not a JWT: its audience, scopes and expiry cannot be read here'));
  } else {
    checks.push(audienceCheck(facts, claims));
    checks.push(scopesCheck(facts, claims));
    checks.push(expiryCheck(claims));
  }
  checks.push(await toolsListCheck(facts, token, timeoutMs));
}

function readClaims(token: string): JWTPayload | undefined {
  try {
    return decodeJwt(token);
  } catch {
    return undefined;
  }
}

function audienceCheck(facts: Facts, claims: JWTPayload): Check {
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  if (audiences.includes(facts.resource) || audiences.includes(facts.url.href)) return pass('login.audience', `the token is for ${facts.resource}`);
  return fail(
    'login.audience',
    `the token's audience is ${audiences.join(', ') || 'missing'}, not ${facts.resource}: the server must refuse it (RFC 8707)`,
    `get a token with resource=${facts.resource} in the authorization and token requests`,
  );
}

function scopesCheck(facts: Facts, claims: JWTPayload): Check {
  const granted = typeof claims['scope'] === 'string' ? scopeList(claims['scope']) : (strings(claims['scp']) ?? []);
  const wanted = scopeList(facts.challenge?.parsed?.params['scope']);
  const wantedOrSupported = wanted.length ? wanted : (strings(facts.prm?.document['scopes_supported']) ?? []);
  const missing = wantedOrSupported.filter((s) => !granted.includes(s));
  if (!missing.length) return pass('login.scopes', `the token grants ${granted.join(' ') || 'no scope'}, which covers what the server asks for`);
  return warn(
    'login.scopes',
    `the token grants ${granted.join(' ') || 'no scope'}, without ${missing.join(' ')}, which the server asks for`,
    `get a token with scope="${wantedOrSupported.join(' ')}"`,
  );
}

function expiryCheck(claims: JWTPayload): Check {
  if (typeof claims.exp !== 'number') return warn('login.expiry', 'the token never expires (no exp)', 'issue access tokens with a short lifetime');
  const left = claims.exp - Math.floor(Date.now() / 1000);
  const until = new Date(claims.exp * 1000).toISOString();
  if (left <= 0) return fail('login.expiry', `the token expired at ${until}`, 'get a fresh token');
  if (typeof claims.iat === 'number' && claims.exp - claims.iat > LONG_LIVED_SECONDS) {
    return warn(
      'login.expiry',
      `the token lives ${Math.round((claims.exp - claims.iat) / 3600)} hours (until ${until})`,
      'issue short-lived access tokens and refresh them',
    );
  }
  return pass('login.expiry', `the token expires at ${until} (in ${Math.ceil(left / 60)} min)`);
}

async function toolsListCheck(facts: Facts, token: string, timeoutMs: number): Promise<Check> {
  // Loaded here, not at the top: only --login needs the MCP client, and `gatehouse serve` must not load it.
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const client = new Client({ name: 'gatehouse-doctor', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(facts.url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  try {
    await client.connect(transport, { timeout: timeoutMs });
    const { tools } = await client.listTools(undefined, { timeout: timeoutMs });
    const names = tools.map((t) => t.name);
    return pass(
      'login.tools-list',
      `tools/list with the token: ${names.length} tool${names.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}`,
    );
  } catch (error) {
    return fail(
      'login.tools-list',
      `tools/list with the token failed: ${error instanceof Error ? error.message : String(error)}`,
      'check the token is for this server (audience), unexpired and holds the scopes the server asks for',
    );
  } finally {
    await client.close().catch(() => {});
  }
}
