import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isSpecialUseAddress } from './special-addresses.js';

/**
 * Why an outbound fetch was refused or cut short. Not an HttpError: oidc-provider, which makes these fetches for a
 * client's documents, answers the client with an OAuth error of its own (`invalid_client`), never this message.
 */
export class OutboundFetchError extends Error {
  override name = 'OutboundFetchError';
}

export interface GuardedFetchOptions {
  /** Largest response body, counted while it streams in. */
  maxBytes: number;
  /** Connect, headers and the whole body, together. */
  timeoutMs: number;
  /** Fetches open at once across everything this fetcher serves; past it a fetch fails at once. */
  maxInFlight: number;
  /** Reach loopback and private addresses, and plain http. Development only: it makes the fetcher an SSRF tool. */
  dangerouslyAllowPrivateAddresses?: boolean;
  /** Name resolution; the operating system's by default. */
  lookup?: typeof dnsLookup;
}

/** What an unauthenticated request may make the server fetch: small documents, quickly, a few at a time. */
export const OUTBOUND_FETCH_LIMITS = { maxBytes: 64 * 1024, timeoutMs: 2500, maxInFlight: 32 } as const;

export type GuardedFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Fetch statuses that carry no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * A `fetch` for URLs an outsider chose (Client ID Metadata Documents and the URLs in them): https only; every
 * address a name resolves to is checked and the connection goes to a checked address, so DNS cannot swap in
 * another one between check and connect; redirects are failures; the body is cut as soon as it passes the cap;
 * one deadline covers the whole exchange; and only so many run at once, so a flood cannot open thousands of sockets.
 */
export function guardedFetch(options: GuardedFetchOptions): GuardedFetch {
  const allowPrivate = options.dangerouslyAllowPrivateAddresses ?? false;
  const resolve = options.lookup ?? dnsLookup;
  let inFlight = 0;

  const checkedLookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      if (addresses.length === 0) return callback(new OutboundFetchError(`${hostname} has no address`), '', 0);
      // One special-use address is enough to refuse: a name that also points inward is not an outside host.
      const inward = addresses.find((a) => !allowPrivate && isSpecialUseAddress(a.address));
      if (inward) return callback(new OutboundFetchError(`${hostname} resolves to a special-use address (${inward.address})`), '', 0);
      if (lookupOptions.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };

  return (input, init = {}) => {
    const url = new URL(input);
    if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
      return Promise.reject(new OutboundFetchError(`only https URLs are fetched, not ${url.protocol}`));
    }
    if (url.username || url.password) return Promise.reject(new OutboundFetchError('URLs with credentials are not fetched'));
    if ((init.method ?? 'GET').toUpperCase() !== 'GET' || init.body != null) {
      return Promise.reject(new OutboundFetchError('only GET requests without a body are made'));
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // A literal address is never looked up, so it is checked here; names are checked as they resolve.
    if (isIP(host) && !allowPrivate && isSpecialUseAddress(host)) {
      return Promise.reject(new OutboundFetchError(`${host} is a special-use address`));
    }
    if (inFlight >= options.maxInFlight) {
      return Promise.reject(new OutboundFetchError(`too many outbound fetches in flight (${options.maxInFlight})`));
    }
    inFlight += 1;
    return exchange(url, host, init, options, checkedLookup, allowPrivate, () => (inFlight -= 1));
  };
}

function exchange(
  url: URL,
  host: string,
  init: RequestInit,
  options: GuardedFetchOptions,
  lookup: LookupFunction,
  allowPrivate: boolean,
  release: () => void,
): Promise<Response> {
  return new Promise<Response>((resolvePromise, rejectPromise) => {
    let settled = false;
    let answered = false;
    let request: ClientRequest | undefined;
    let bodyController: ReadableStreamDefaultController<Uint8Array> | undefined;

    const done = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(deadline);
      init.signal?.removeEventListener('abort', onAbort);
      release();
      return true;
    };
    const fail = (error: Error) => {
      if (!done()) return;
      request?.destroy();
      if (!answered) rejectPromise(error);
      else bodyController?.error(error);
    };
    const onAbort = () => fail(new OutboundFetchError('aborted'));
    const deadline = setTimeout(() => fail(new OutboundFetchError(`no complete answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    if (init.signal?.aborted) return onAbort();
    init.signal?.addEventListener('abort', onAbort);

    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      if (value !== '') headers[name] = value;
    });
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    request = send(url, { host, method: 'GET', headers, lookup, agent: false });
    request.on('error', (error) => fail(error));
    request.on('socket', (socket) => {
      // The lookup already chose a checked address; this confirms the socket is where it was sent.
      socket.once('connect', () => {
        const peer = socket.remoteAddress;
        if (!allowPrivate && (peer === undefined || isSpecialUseAddress(peer))) fail(new OutboundFetchError(`connected to a special-use address (${peer})`));
      });
    });
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) return fail(new OutboundFetchError(`redirects are not followed (status ${status})`));
      const declared = Number(response.headers['content-length']);
      if (declared > options.maxBytes) return fail(new OutboundFetchError(`response body of ${declared} bytes is over ${options.maxBytes}`));
      const responseHeaders = new Headers();
      for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) responseHeaders.append(response.rawHeaders[i]!, response.rawHeaders[i + 1]!);
      answered = true;
      if (NULL_BODY_STATUSES.has(status)) {
        done();
        response.destroy();
        return resolvePromise(new Response(null, { status, statusText: response.statusMessage, headers: responseHeaders }));
      }
      let received = 0;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          bodyController = controller;
          response.on('data', (chunk: Buffer) => {
            if (settled) return;
            received += chunk.length;
            // Cut while streaming: the bytes past the cap are never kept, and the connection closes now.
            if (received > options.maxBytes) return fail(new OutboundFetchError(`response body is over ${options.maxBytes} bytes`));
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          });
          response.on('end', () => {
            if (done()) controller.close();
          });
          response.on('error', (error) => fail(error));
          response.on('close', () => {
            if (!response.complete) fail(new OutboundFetchError('the connection closed before the body ended'));
          });
        },
        cancel() {
          if (done()) request?.destroy();
        },
      });
      resolvePromise(new Response(body, { status, statusText: response.statusMessage, headers: responseHeaders }));
    });
    request.end();
  });
}
