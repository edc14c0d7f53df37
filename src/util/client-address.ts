import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { TrustedProxies } from './trusted-proxies.js';

/** The caller's address by the trusted-proxy rule (see TrustedProxies): never one a client wrote itself. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's Context is generic in the app's env, and any app's context must fit
export function clientAddress(c: Context<any>, trustProxy: TrustedProxies): string | undefined {
  return trustProxy.clientAddress(peerAddress(c), (name) => c.req.header(name));
}

/** The socket's peer: who actually connected. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's Context is generic in the app's env, and any app's context must fit
export function peerAddress(c: Context<any>): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // not served by @hono/node-server (e.g. app.fetch in tests)
  }
}
