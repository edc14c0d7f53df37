import { type Facts, strings } from './facts.js';
import { answered, jsonObject } from './http.js';
import { type Check, fail, pass, warn } from './report.js';
import { metadataUrls } from '../../util/metadata-urls.js';

/**
 * The authorization server's metadata and what a client requires of it: the exact issuer (RFC 8414 §3.3, the
 * mix-up defence), the code flow, PKCE with S256 (clients MUST refuse a server that does not advertise it), `iss`
 * in responses (RFC 9207), and token endpoint authentication methods public clients can use.
 */
export async function checkAuthServerMetadata(facts: Facts, checks: Check[]): Promise<void> {
  // 2025-03-26 fallback: with no resource metadata, the MCP server's origin was the authorization server.
  const legacy = !facts.issuer;
  const issuer = facts.issuer ?? facts.url.origin;
  if (!URL.canParse(issuer) || !/^https?:$/.test(new URL(issuer).protocol)) {
    checks.push(fail('as.metadata', `the authorization server ${issuer} is not an http(s) URL`, 'list issuer URLs in "authorization_servers"'));
    return;
  }
  const tried: string[] = [];
  for (const url of metadataUrls(new URL(issuer))) {
    const exchange = await facts.http.request(url, { headers: { accept: 'application/json' } });
    const document = exchange.status === 200 ? jsonObject(exchange) : undefined;
    tried.push(`${url} (${document || exchange.status !== 200 ? answered(exchange) : '200, not a JSON object'})`);
    if (!document) continue;
    facts.as = { url, document };
    break;
  }
  if (!facts.as) {
    checks.push(
      fail(
        'as.metadata',
        `no authorization server metadata at ${tried.join(', ')}${legacy ? ' (the 2025-03-26 fallback; 2025-03-26 clients would then guess /authorize, /token and /register there)' : ''}`,
        `serve RFC 8414 metadata at ${metadataUrls(new URL(issuer))[0]}`,
      ),
    );
    return;
  }
  facts.issuer = issuer;
  const { url, document } = facts.as;
  checks.push(
    legacy
      ? warn(
          'as.metadata',
          `metadata found at ${url} only by the 2025-03-26 fallback (the MCP server's origin): current clients reach it through resource metadata`,
          'publish protected resource metadata naming this authorization server',
        )
      : pass('as.metadata', `metadata found at ${url}`),
  );
  checks.push(issuerCheck(issuer, document['issuer']));
  checks.push(endpointsCheck(document));
  checks.push(pkceCheck(document));
  checks.push(issParameterCheck(document));
  checks.push(authMethodsCheck(document));
}

function issuerCheck(expected: string, issuer: unknown): Check {
  if (issuer === expected) return pass('as.issuer-matches', `issuer is exactly ${expected}`);
  return fail(
    'as.issuer-matches',
    `issuer is ${JSON.stringify(issuer)}, not ${expected} (the URL the metadata was looked up for): clients refuse it (RFC 8414 §3.3)`,
    'make "issuer" in the metadata and the entry in "authorization_servers" the same string, trailing slash included',
  );
}

function endpointsCheck(document: Record<string, unknown>): Check {
  for (const name of ['authorization_endpoint', 'token_endpoint']) {
    const value = document[name];
    if (typeof value !== 'string') return fail('as.endpoints', `the metadata has no ${name}`, `add "${name}" to the metadata`);
    // A client opens authorization_endpoint in a browser: anything but http(s) is how CVE-2025-6514 ran code.
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      return fail('as.endpoints', `${name} is not an http(s) URL: ${value.slice(0, 100)}`, `make ${name} an https URL`);
    }
  }
  const types = strings(document['response_types_supported']);
  if (!types?.includes('code')) {
    return fail('as.endpoints', 'response_types_supported does not include "code": no authorization code flow', 'support and advertise response_type=code');
  }
  return pass('as.endpoints', `authorization code flow at ${String(document['authorization_endpoint'])} and ${String(document['token_endpoint'])}`);
}

function pkceCheck(document: Record<string, unknown>): Check {
  const methods = strings(document['code_challenge_methods_supported']);
  if (!methods) {
    return fail(
      'as.pkce-s256',
      'code_challenge_methods_supported is missing: MCP clients refuse a server that does not advertise PKCE',
      'advertise "code_challenge_methods_supported": ["S256"] and require PKCE',
    );
  }
  if (!methods.includes('S256')) {
    return fail('as.pkce-s256', `PKCE methods are ${methods.join(', ') || 'none'}, without S256, which MCP clients must use`, 'support and advertise S256');
  }
  if (methods.includes('plain')) return warn('as.pkce-s256', 'S256 is offered, and so is plain, which protects nothing', 'offer S256 only');
  return pass('as.pkce-s256', 'PKCE with S256');
}

function issParameterCheck(document: Record<string, unknown>): Check {
  if (document['authorization_response_iss_parameter_supported'] === true) return pass('as.iss-parameter', 'authorization responses carry iss (RFC 9207)');
  return warn(
    'as.iss-parameter',
    'authorization responses do not advertise iss (RFC 9207): clients cannot detect a mix-up attack',
    'send iss in authorization responses and advertise "authorization_response_iss_parameter_supported": true',
  );
}

function authMethodsCheck(document: Record<string, unknown>): Check {
  // RFC 8414 §2: absent means client_secret_basic only.
  const methods = strings(document['token_endpoint_auth_methods_supported']) ?? ['client_secret_basic'];
  const list = methods.join(', ');
  if (methods.includes('none')) return pass('as.token-auth-methods', `token endpoint auth methods: ${list} (public clients supported)`);
  return warn(
    'as.token-auth-methods',
    `token endpoint auth methods are ${list}, without "none": public clients (Claude Code, the MCP Inspector, mcp-remote) cannot use it`,
    'accept public clients with PKCE: advertise "none" in token_endpoint_auth_methods_supported',
  );
}
