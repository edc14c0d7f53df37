import { isLoopbackHost } from '../resource/urls.js';

/**
 * What is wrong with a `--public-url`, said with the value to write instead, or undefined when it can be used.
 * The URL is the server's base: clients reach MCP at `<public-url><mcp path>`, so it names a scheme clients can
 * use and nothing a URL cannot carry to them.
 */
export function publicUrlProblem(value: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    // `localhost:8001` parses as a URL of scheme "localhost:"; `mcp.example.com` does not parse at all.
    const guess = URL.parse(`http://${value}`);
    if (!guess) return `"${value}" is not a URL: write the address clients use, e.g. https://mcp.example.com`;
    const scheme = isLoopbackHost(guess.hostname) ? 'http' : 'https';
    return `"${value}" has no http:// or https://: write ${scheme}://${value}`;
  }
  const url = URL.parse(value);
  if (!url) return `"${value}" is not a URL: write the address clients use, e.g. https://mcp.example.com`;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `"${value}" uses ${url.protocol.slice(0, -1)}, but MCP clients connect over http or https: write https://${value.slice(url.protocol.length + 2)}`;
  }
  if (url.username || url.password) return 'carries a user name or password, which every published URL would show: leave them out';
  if (url.search || url.hash)
    return `"${value}" has a query or fragment, which no URL built on it could keep: write ${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  return undefined;
}

/**
 * A public URL that already ends with the MCP path (`https://mcp.example.com/mcp`, the address a client is given)
 * would put the endpoint at `/mcp/mcp`. Refused rather than guessed at, with the base URL to use instead.
 */
export function mcpPathInPublicUrl(value: string, mcpPath: string): string | undefined {
  const url = URL.parse(value);
  const endpoint = mcpPath.length > 1 ? mcpPath.replace(/\/+$/, '') : mcpPath;
  if (!url || endpoint === '/') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith(endpoint)) return undefined;
  const base = `${url.origin}${path.slice(0, -endpoint.length)}`;
  return (
    `"${value}" ends with the MCP path ${endpoint}, which Gatehouse adds to it (MCP would be at ${url.origin}${path}${endpoint}): ` +
    `give the server's base URL, ${base}, and clients connect to ${base}${endpoint}`
  );
}
