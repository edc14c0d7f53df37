/**
 * The doctor's HTTP: every request timed, bounded in time and body size, and never followed to a non-http(s)
 * URL. It never throws: a failed exchange is a fact to report (status 0 and why), like any other answer.
 */

import { readCapped } from '../../util/fetch-failure.js';
import { parseJsonObject } from '../../util/json-object.js';

export interface Exchange {
  url: string;
  method: string;
  /** 0 when no answer came. */
  status: number;
  headers: Headers;
  text: string;
  ms: number;
  /** Why no (complete) answer came: the network or TLS error, the deadline, the size cap, a bad redirect. */
  error?: string;
}

export interface Timing {
  method: string;
  url: string;
  ms: number;
}

export interface HttpLimits {
  /** Connect, headers and body of one request together. */
  timeoutMs: number;
  /** Largest body read; past it the exchange fails. */
  maxBytes: number;
}

export interface RequestSpec {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Redirects followed for a GET (metadata behind a moved path); a POST's 3xx is reported as it is. */
const MAX_REDIRECTS = 3;

export class Http {
  readonly timings: Timing[] = [];

  constructor(readonly limits: HttpLimits) {}

  async request(url: string, spec: RequestSpec = {}): Promise<Exchange> {
    const method = spec.method ?? 'GET';
    let current = url;
    for (let hop = 0; ; hop++) {
      const exchange = await this.#once(current, method, spec);
      const location = exchange.headers.get('location');
      if (method !== 'GET' || exchange.status < 300 || exchange.status >= 400 || !location || hop >= MAX_REDIRECTS) return exchange;
      let next: URL;
      try {
        next = new URL(location, current);
      } catch {
        return { ...exchange, status: 0, error: `redirected to an unparsable Location (${location.slice(0, 80)})` };
      }
      // A discovery document that sends a client to javascript:, file: or a custom scheme is an attack, not a move.
      if (next.protocol !== 'https:' && next.protocol !== 'http:') {
        return { ...exchange, status: 0, error: `redirected to a non-http(s) URL (${next.protocol})` };
      }
      current = next.href;
    }
  }

  async #once(url: string, method: string, spec: RequestSpec): Promise<Exchange> {
    const started = performance.now();
    const finish = (partial: Omit<Exchange, 'url' | 'method' | 'ms'>): Exchange => {
      const ms = Math.round(performance.now() - started);
      this.timings.push({ method, url, ms });
      return { url, method, ms, ...partial };
    };
    const signal = AbortSignal.timeout(this.limits.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { 'user-agent': 'gatehouse-doctor', ...spec.headers },
        body: spec.body,
        redirect: 'manual',
        signal,
      });
    } catch (error) {
      return finish({ status: 0, headers: new Headers(), text: '', error: describe(error, this.limits.timeoutMs) });
    }
    try {
      const text = await readCapped(response, this.limits.maxBytes);
      return finish({ status: response.status, headers: response.headers, text });
    } catch (error) {
      return finish({ status: response.status, headers: response.headers, text: '', error: describe(error, this.limits.timeoutMs) });
    }
  }
}

/** fetch's "fetch failed" says nothing; the cause (ECONNREFUSED, CERT_HAS_EXPIRED…) is what a person needs. */
function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The body as a JSON object, or undefined when it is not one. */
export function jsonObject(exchange: Exchange): Record<string, unknown> | undefined {
  if (exchange.status === 0 || !exchange.text) return undefined;
  return parseJsonObject(exchange.text);
}

/** What came back, in a few words: `404`, `ECONNREFUSED`, `200 (not JSON)`. */
export function answered(exchange: Exchange): string {
  if (exchange.status === 0) return exchange.error ?? 'no answer';
  if (exchange.error) return `${exchange.status}, then ${exchange.error}`;
  return String(exchange.status);
}
