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
