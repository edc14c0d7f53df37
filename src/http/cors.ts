/**
 * CORS for browser-based clients (the MCP Inspector, web IDEs): what their pages may send and read. The MCP
 * endpoint and the registration endpoint answer allowed origins only; discovery documents answer any origin.
 * Clients must be able to read the challenge headers to discover the authorization server.
 */

/** Every header an MCP client sets on its requests: the transport's, the bearer or DPoP token and proof, SEP-2243's. */
const REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  'Accept',
  'DPoP',
  'Mcp-Protocol-Version',
  'Mcp-Session-Id',
  'Mcp-Method',
  'Mcp-Name',
  'Last-Event-ID',
];
/** SEP-2243: a tool argument mirrored into a header named after it, so the names cannot be listed in advance. */
const PARAM_HEADER = /^mcp-param-[A-Za-z0-9!#$%&'*+.^_`|~-]+$/i;
const EXPOSE_HEADERS = 'WWW-Authenticate, DPoP-Nonce, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After';

/** The headers a preflight may allow: the fixed list, and the `Mcp-Param-*` headers this request asks for. */
function allowedHeaders(requested: string | null): string {
  const params = (requested ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => PARAM_HEADER.test(name));
  return [...REQUEST_HEADERS, ...params].join(', ');
}

/** The answer to a preflight from an allowed origin, for an endpoint taking `methods`. */
export function corsPreflight(origin: string, requestedHeaders: string | null, methods = 'GET, POST, DELETE, OPTIONS'): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': methods,
      'Access-Control-Allow-Headers': allowedHeaders(requestedHeaders),
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
    },
  });
}

/** The answer to a preflight for a public document (RFC 9728 metadata): any origin may read it. */
export function publicPreflight(requestedHeaders: string | null): Response {
  return new Response(null, {
    status: 204,
    headers: {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET, OPTIONS',
      'Access-Control-Allow-Headers': allowedHeaders(requestedHeaders),
      'Access-Control-Max-Age': '86400',
    },
  });
}

/** The headers that let an allowed origin read an answer, challenge headers included. */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS };
}

/** Let an allowed origin read this response, challenge headers included. */
export function withCors(response: Response, origin: string): Response {
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(corsHeaders(origin))) headers.set(name, value);
  headers.append('Vary', 'Origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
