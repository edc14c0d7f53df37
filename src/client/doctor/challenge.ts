import type { Facts } from './facts.js';
import { answered } from './http.js';
import { type Check, fail, pass, warn } from './report.js';
import { parseChallenges } from './www-authenticate.js';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'gatehouse-doctor', version: '1.0.0' } },
});

/**
 * The first request a client makes, without a token: an MCP `initialize`. A protected server answers 401 with a
 * `WWW-Authenticate` challenge (RFC 9110 §15.5.2 makes the header a MUST on every 401) naming its metadata
 * (RFC 9728 §5.1). Returns false when the server cannot be reached at all: nothing after this can be checked.
 */
export async function checkChallenge(facts: Facts, checks: Check[]): Promise<boolean> {
  const exchange = await facts.http.request(facts.url.href, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: INITIALIZE,
  });
  if (exchange.status === 0) {
    checks.push(
      fail(
        'challenge.reachable',
        `no answer from ${facts.url.href}: ${answered(exchange)}`,
        'check the URL, that the server runs, and that this machine can reach it',
      ),
    );
    return false;
  }
  const header = exchange.headers.get('www-authenticate') ?? undefined;
  const challenges = header ? parseChallenges(header) : [];
  const parsed = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'dpop');
  facts.challenge = { status: exchange.status, header, parsed };

  checks.push(statusCheck(exchange.status));
  if (exchange.status !== 401) return true;

  if (!header) {
    checks.push(
      fail(
        'challenge.present',
        'the 401 has no WWW-Authenticate header: clients cannot tell it wants OAuth, nor where to find out how',
        'send `WWW-Authenticate: Bearer resource_metadata="<metadata URL>", scope="<scopes>"` with every 401',
      ),
    );
    return true;
  }
  if (!parsed) {
    const schemes = challenges.map((c) => c.scheme).join(', ') || 'none readable';
    checks.push(
      fail('challenge.present', `the challenge offers no Bearer (or DPoP) scheme (found: ${schemes})`, 'challenge with the Bearer scheme (RFC 6750 §3)'),
    );
    return true;
  }
  checks.push(pass('challenge.present', `401 with a ${parsed.scheme === 'bearer' ? 'Bearer' : 'DPoP'} challenge: ${header}`));

  const metadataUrl = parsed.params['resource_metadata'];
  if (metadataUrl === undefined) {
    checks.push(
      warn(
        'challenge.resource-metadata',
        'the challenge has no resource_metadata: clients must guess the well-known locations',
        'add resource_metadata="<protected resource metadata URL>" to the challenge (RFC 9728 §5.1)',
      ),
    );
  } else if (!URL.canParse(metadataUrl) || !/^https?:$/.test(new URL(metadataUrl).protocol)) {
    checks.push(
      fail('challenge.resource-metadata', `resource_metadata is not an http(s) URL: ${metadataUrl}`, 'make resource_metadata the absolute URL of the metadata'),
    );
  } else {
    checks.push(pass('challenge.resource-metadata', `names its metadata at ${metadataUrl}`));
  }
  return true;
}

function statusCheck(status: number): Check {
  if (status === 401) return pass('challenge.status', 'an unauthenticated request gets 401');
  if (status >= 200 && status < 300) {
    return fail(
      'challenge.status',
      `an unauthenticated initialize got ${status}: the server does not ask for authorization`,
      'protect the endpoint: answer requests without a valid token with 401 and a challenge',
    );
  }
  if (status === 403) {
    return fail(
      'challenge.status',
      'an unauthenticated request got 403: clients read that as "not allowed", not "sign in first"',
      'answer a missing token with 401 (403 is for insufficient scope or a refused Origin)',
    );
  }
  if (status === 404 || status === 405) {
    return fail(
      'challenge.status',
      `an MCP POST got ${status}: this does not look like an MCP endpoint`,
      'give the URL of the MCP endpoint itself, e.g. https://host/mcp',
    );
  }
  return fail(
    'challenge.status',
    `an unauthenticated request got ${status}, not 401`,
    'answer requests without a token with 401 and a WWW-Authenticate challenge',
  );
}
