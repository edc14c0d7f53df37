import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach } from 'node:test';
import { DownstreamTokenError } from '../../src/index.js';

/** One request the token endpoint received, as it arrived. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

export interface CannedTokenAnswer {
  status?: number;
  /** An object is sent as JSON; a string as it is. */
  body: unknown;
  contentType?: string;
  /** Wait this long before answering. */
  delayMs?: number;
}

/**
 * An authorization server's token endpoint on loopback, for exchangers to talk to: it records every request (form
 * fields and headers) and answers what the test says, by default a bearer token. It also serves metadata
 * documents at the paths a test puts in `documents`, counting those fetches.
 */
export class TestTokenEndpoint {
  readonly requests: ReceivedRequest[] = [];
  readonly documents = new Map<string, unknown>();
  documentFetches = 0;
  answer: (request: ReceivedRequest) => CannedTokenAnswer | Promise<CannedTokenAnswer> = () => ({
    body: {
      access_token: 'downstream-access-token',
      token_type: 'Bearer',
      expires_in: 300,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    },
  });
  url = '';
  #server?: Server;

  static start(): Promise<TestTokenEndpoint> {
    return new TestTokenEndpoint().listen();
  }

  async listen(): Promise<this> {
    this.#server = createServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && this.documents.has(path)) {
        this.documentFetches += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.documents.get(path)));
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request: ReceivedRequest = { method: req.method, path, headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) };
      this.requests.push(request);
      const answer = await this.answer(request);
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (res.destroyed) return;
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json', 'cache-control': 'no-store' }).end(body);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
    return this;
  }

  /** Forget what was received and answer as given from now on. */
  reset(answer: TestTokenEndpoint['answer']): void {
    this.requests.length = 0;
    this.documents.clear();
    this.documentFetches = 0;
    this.answer = answer;
  }

  get tokenEndpoint(): string {
    return `${this.url}/token`;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

/** Hooks for a suite's token endpoint: listening before its tests, each of them starting with no records and `answer`. */
export function useTokenEndpoint(answer: TestTokenEndpoint['answer']): TestTokenEndpoint {
  const endpoint = new TestTokenEndpoint();
  before(() => endpoint.listen());
  after(() => endpoint.close());
  beforeEach(() => endpoint.reset(answer));
  return endpoint;
}

/** A loopback URL where nothing listens: a port that was free a moment ago. */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/token`;
}

/** The error the promise rejects with, which must be a DownstreamTokenError. */
export async function refusal(promise: Promise<unknown>): Promise<DownstreamTokenError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DownstreamTokenError, `a DownstreamTokenError, not ${String(error)}`);
    return error;
  }
  assert.fail('the exchange succeeded');
}
