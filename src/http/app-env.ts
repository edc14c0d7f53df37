import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import type { Caller } from '../resource/caller.js';
import type { GateOutcome } from '../resource/gate.js';
import type { ServerUrls } from '../resource/urls.js';

/** How a request ended, for the request log and `gatehouse_requests_total`. */
export type Outcome = GateOutcome | 'forbidden_host' | 'forbidden_origin' | 'rate_limited' | 'store_unavailable';

/** What the app's pieces tell each other about one request. */
export type Env = {
  Variables: {
    caller?: Caller;
    outcome?: Outcome;
    /** Why the request was refused or failed, for its log line only: it may name a cause no client should learn. */
    reason?: string;
    authorization?: string | null;
    corsOrigin?: string;
    /** The server's URLs under the name the client used (a local server answers to each loopback name). */
    identity?: ServerUrls;
  };
};

/** The Node request behind a Hono context, when served by @hono/node-server (an embedder's `app.fetch` has none). */
export function nodeRequest(c: Context): IncomingMessage | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.incoming;
}

/** The Node response behind a Hono context, for headers on an answer written straight to it (oidc-provider's). */
export function nodeResponse(c: Context): ServerResponse | undefined {
  return (c.env as Partial<HttpBindings> | undefined)?.outgoing as ServerResponse | undefined;
}
