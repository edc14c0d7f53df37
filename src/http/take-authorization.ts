import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { type Env, nodeRequest } from './app-env.js';

/**
 * Take the Authorization header off a request to the MCP endpoint before anything copies its headers. The MCP
 * handler gets the verified token in its AuthInfo instead, never the header, and a long token is not copied into
 * each Fetch `Headers` (which validates every byte). Returns the value a Fetch `Request` would show (repeated
 * headers joined, which the gate then refuses as malformed), or null when there is none.
 */
export function takeAuthorization(incoming: IncomingMessage): string | null {
  const raw = incoming.rawHeaders;
  let value: string | null = null;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!;
    // Length first: every other header is passed over without lower-casing its name.
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    const found = raw[i + 1]!.trim();
    value = value === null ? found : `${found}, ${value}`;
    raw.splice(i, 2);
  }
  // Node builds `headers` from rawHeaders on first read, and @hono/node-server has read it by now. Set to
  // undefined rather than deleted: a delete turns the object into a slow dictionary for every later header read.
  if (value !== null) incoming.headers.authorization = undefined;
  return value;
}

/**
 * Middleware: at the MCP endpoint, take the Authorization header (see `takeAuthorization`) into the request's
 * `authorization` variable, before any other middleware could copy the request's headers.
 */
export function takeBearerAuthorization(mcpPath: string): MiddlewareHandler<Env> {
  return async (c, next) => {
    if (c.req.path === mcpPath) {
      const incoming = nodeRequest(c);
      c.set('authorization', incoming ? takeAuthorization(incoming) : (c.req.header('authorization') ?? null));
    }
    await next();
  };
}
