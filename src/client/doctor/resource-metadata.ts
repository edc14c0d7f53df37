import { PRM_WELL_KNOWN } from '../../resource/urls.js';
import { type Facts, strings } from './facts.js';
import { answered, type Exchange, jsonObject } from './http.js';
import { type Check, fail, pass, warn } from './report.js';
import { canonicalResource } from './resource-url.js';

type Location = 'header-url' | 'path-inserted' | 'root';

/**
 * RFC 9728 protected resource metadata, where clients look for it and in their order (MCP 2025-11-25,
 * SEP-985): the challenge's `resource_metadata`, the path-inserted well-known URL, the root one. The first
 * found is the one a client uses: it must name an authorization server, and its `resource` must be the URL the
 * person gave (RFC 9728 §3.3: a client refuses metadata for another resource).
 */
export async function checkResourceMetadata(facts: Facts, checks: Check[]): Promise<void> {
  const path = facts.url.pathname.replace(/\/+$/, '');
  const wellKnown: [Location, string][] = [
    ['path-inserted', `${facts.url.origin}${PRM_WELL_KNOWN}${path}`],
    ['root', `${facts.url.origin}${PRM_WELL_KNOWN}`],
  ];
  const fromHeader = facts.challenge?.parsed?.params['resource_metadata'];
  const locations: [Location, string][] = fromHeader && URL.canParse(fromHeader) ? [['header-url', fromHeader], ...wellKnown] : wellKnown;

  const seen = new Map<string, Exchange>();
  let chosen: Facts['prm'];
  for (const [location, url] of locations) {
    if (location === 'root' && path === '') continue; // the path-inserted URL is the root one
    const earlier = seen.get(url);
    const exchange = earlier ?? (await facts.http.request(url, { headers: { accept: 'application/json' } }));
    seen.set(url, exchange);
    const document = jsonObject(exchange);
    if (document && exchange.status === 200) chosen ??= { url, document };
    if (earlier && location !== 'header-url') {
      checks.push(pass(`prm.${location}`, `the ${location} location is the challenge's URL (${answered(exchange)})`));
      continue;
    }
    checks.push(locationCheck(location, url, exchange, document));
  }

  if (!chosen) {
    checks.push(
      fail(
        'prm.document',
        'no protected resource metadata found: current clients cannot find the authorization server',
        `serve RFC 9728 metadata at ${wellKnown[0]![1]} with "resource" and "authorization_servers"`,
      ),
    );
    return;
  }
  facts.prm = chosen;
  const servers = strings(chosen.document['authorization_servers']);
  const resource = chosen.document['resource'];
  if (!servers?.length || typeof resource !== 'string') {
    checks.push(
      fail(
        'prm.document',
        `the metadata at ${chosen.url} lacks ${typeof resource !== 'string' ? '"resource"' : '"authorization_servers"'}`,
        'include "resource" (this URL) and "authorization_servers" (at least one issuer)',
      ),
    );
  } else {
    facts.issuer = servers[0];
    const others = servers.length > 1 ? ` (and ${servers.length - 1} more; clients pick one)` : '';
    checks.push(pass('prm.document', `metadata at ${chosen.url} names the authorization server ${servers[0]}${others}`));
  }
  if (typeof resource === 'string') checks.push(resourceCheck(resource, facts));
}

function locationCheck(location: Location, url: string, exchange: Exchange, document: Record<string, unknown> | undefined): Check {
  const id = `prm.${location}`;
  if (exchange.status === 200 && document) return pass(id, `metadata found at ${url}`);
  const what = exchange.status === 200 && !exchange.error ? '200 but not a JSON object' : answered(exchange);
  if (location === 'header-url') {
    return fail(id, `the challenge's resource_metadata ${url} gave ${what}`, 'serve the metadata at the URL the challenge names, or name the URL where it is');
  }
  if (location === 'root') {
    return warn(id, `nothing at the root location ${url} (${what}); older clients look only there`, `serve the metadata at ${url} too`);
  }
  return fail(id, `nothing at the path-inserted location ${url} (${what}), where RFC 9728 §3.1 puts this resource's metadata`, `serve the metadata at ${url}`);
}

function resourceCheck(resource: string, facts: Facts): Check {
  if (resource === facts.url.href || resource === facts.resource) return pass('prm.resource-matches', `resource is ${resource}, the URL given`);
  const sameCanonical = URL.canParse(resource) && canonicalResource(new URL(resource)) === facts.resource;
  if (sameCanonical) {
    return warn(
      'prm.resource-matches',
      `resource ${resource} differs from ${facts.resource} only in spelling; clients compare strings and may refuse it`,
      `publish the canonical form: "resource": "${facts.resource}"`,
    );
  }
  return fail(
    'prm.resource-matches',
    `resource is ${resource}, not ${facts.resource}: clients refuse metadata for another resource (RFC 9728 §3.3)`,
    `publish "resource": "${facts.resource}" (the public URL of this endpoint), or connect with the URL it names`,
  );
}
