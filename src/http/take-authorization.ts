import type { IncomingMessage } from 'node:http';

/**
 * Take the Authorization header off a request to the MCP endpoint before anything copies its headers. The MCP
 * handler, and so every tool (the SDK hands tools the request), never sees the bearer token: a tool cannot pass
 * it on to another service. It also spares copying a long token into each Fetch `Headers`, which validates every
 * byte. Returns the value a Fetch `Request` would show (repeated headers joined), or null when there is none.
 */
export function takeAuthorization(incoming: IncomingMessage): string | null {
  const raw = incoming.rawHeaders;
  const values: string[] = [];
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() !== 'authorization') continue;
    values.unshift(raw[i + 1]!.trim());
    raw.splice(i, 2);
  }
  // Node builds `headers` from rawHeaders on first read, and @hono/node-server has read it by now. Set to
  // undefined rather than deleted: a delete turns the object into a slow dictionary for every later header read.
  if (values.length > 0) incoming.headers.authorization = undefined;
  return values.length === 0 ? null : values.join(', ');
}
