/**
 * The one URL model: `publicUrl` (what clients see) + `mcpPath` = the resource identifier.
 * It is the protected resource metadata `resource`, the audience tokens must carry, and the base of every challenge URL.
 */
export interface ServerUrls {
  /** The public origin, e.g. `https://mcp.example.com` (no trailing slash). */
  origin: string;
  /** The MCP endpoint path, e.g. `/mcp`. */
  mcpPath: string;
  /** The canonical resource identifier, e.g. `https://mcp.example.com/mcp`. */
  resource: string;
  /** RFC 9728 path-inserted metadata URL, e.g. `https://mcp.example.com/.well-known/oauth-protected-resource/mcp`. */
  resourceMetadata: string;
  /** RFC 9728 root metadata URL. */
  rootResourceMetadata: string;
  /** The path prefix of `publicUrl` ('' or e.g. `/team`), under which every route is served. */
  basePath: string;
  /** The embedded authorization server's issuer: the public URL without its MCP path, e.g. `https://mcp.example.com`. */
  issuer: string;
}

export const PRM_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** Where the MCP endpoint is served under the public URL unless configured otherwise. */
export const DEFAULT_MCP_PATH = '/mcp';

export function serverUrls(publicUrl: string, mcpPath = DEFAULT_MCP_PATH): ServerUrls {
  const url = new URL(publicUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`publicUrl must be http(s), got ${url.protocol}`);
  if (url.search || url.hash) throw new Error('publicUrl must not have a query or fragment');
  if (url.username || url.password) throw new Error('publicUrl must not contain credentials');
  const base = url.pathname.replace(/\/+$/, '');
  const path = normalizePath(mcpPath);
  const origin = url.origin; // lowercases scheme and host, drops default ports
  const fullPath = `${base}${path}`;
  return {
    origin,
    mcpPath: fullPath,
    resource: `${origin}${fullPath}`,
    resourceMetadata: `${origin}${PRM_WELL_KNOWN}${fullPath}`,
    rootResourceMetadata: `${origin}${PRM_WELL_KNOWN}`,
    basePath: base,
    issuer: `${origin}${base}`,
  };
}

function normalizePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  const trimmed = withSlash.length > 1 ? withSlash.replace(/\/+$/, '') : withSlash;
  if (!/^\/[A-Za-z0-9\-._~/%]*$/.test(trimmed)) throw new Error(`mcpPath "${path}" is not a valid URL path`);
  return trimmed;
}

/** The names every machine gives its loopback interface, as the URL parser writes them. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'] as const;

/**
 * The server's identities by the host a client names (`Host`, with its port): the URLs it answers with there. A
 * server whose public URL is on a loopback name (a local server, the default) answers to each loopback name with
 * the same port as a resource of its own, because OAuth compares resources as strings: a client that connects to
 * `http://127.0.0.1:8000/mcp` must be told that resource, and tokens for it name it, while tokens for
 * `http://localhost:8000/mcp` stay good only there (a name can reach another process: `localhost` may resolve
 * to `::1`, where something else listens). The authorization server keeps the public URL's name, its issuer.
 * Any other server has one identity, its public URL's.
 */
export function serverIdentities(urls: ServerUrls): ReadonlyMap<string, ServerUrls> {
  const publicUrl = new URL(urls.origin);
  const identities = new Map<string, ServerUrls>([[publicUrl.host, urls]]);
  if (!(LOOPBACK_NAMES as readonly string[]).includes(publicUrl.hostname)) return identities;
  for (const name of LOOPBACK_NAMES) {
    const alias = new URL(urls.origin);
    alias.hostname = name;
    if (identities.has(alias.host)) continue;
    const origin = alias.origin;
    identities.set(alias.host, {
      ...urls,
      origin,
      resource: `${origin}${urls.mcpPath}`,
      resourceMetadata: `${origin}${PRM_WELL_KNOWN}${urls.mcpPath}`,
      rootResourceMetadata: `${origin}${PRM_WELL_KNOWN}`,
    });
  }
  return identities;
}

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `localhost`, `[::1]` or a 127/8 literal, as the URL parser writes the hostname. */
export function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost' || hostname === '[::1]') return true;
  const m = IPV4_LOOPBACK.exec(hostname);
  return m?.slice(1).every((octet) => Number(octet) <= 255) ?? false;
}

/** https anywhere; plain http only on this machine, where nothing crosses a network. */
export function isHttpsOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
