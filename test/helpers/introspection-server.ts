import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenRecord {
  sub: string;
  aud?: string | string[];
  scope?: string;
  exp: number;
  client_id?: string;
  iss?: string;
  username?: string;
  token_type?: string;
}

/**
 * A real RFC 7662 introspection endpoint on loopback: authenticates the resource server
 * (basic or post), answers from a token table that tests can revoke from, and counts calls.
 */
export class TestIntrospectionServer {
  calls = 0;
  failWith?: number;
  /** Answer every authenticated call with this body (200), whatever the token. */
  rawAnswer?: string;
  /** Hold every call this long before answering. */
  delayMs = 0;
  readonly tokens = new Map<string, TokenRecord>();
  readonly clientId = 'rs-client';
  readonly clientSecret = 'rs secret/with:odd+chars';
  #server?: Server;
  url = '';

  static async start(): Promise<TestIntrospectionServer> {
    const s = new TestIntrospectionServer();
    s.#server = createServer(async (req, res) => {
      const body = new URLSearchParams(await readBody(req));
      s.calls += 1;
      if (s.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, s.delayMs));
      res.setHeader('content-type', 'application/json');
      if (s.failWith) {
        res.statusCode = s.failWith;
        res.end('{"error":"server_error"}');
        return;
      }
      if (!s.authenticated(req, body)) {
        res.statusCode = 401;
        res.end('{"error":"invalid_client"}');
        return;
      }
      if (s.rawAnswer !== undefined) {
        res.end(s.rawAnswer);
        return;
      }
      const record = s.tokens.get(body.get('token') ?? '');
      const active = record !== undefined && (record.exp === undefined || record.exp > Date.now() / 1000);
      res.end(JSON.stringify(active ? { active: true, ...record } : { active: false }));
    });
    await new Promise<void>((resolve) => s.#server!.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.#server!.address() as AddressInfo).port}`;
    return s;
  }

  get endpoint(): string {
    return `${this.url}/introspect`;
  }

  authenticated(req: IncomingMessage, body: URLSearchParams): boolean {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(header.slice(6), 'base64')
        .toString()
        .split(':')
        .map((p) => decodeURIComponent(p.replace(/\+/g, ' ')));
      return id === this.clientId && secret === this.clientSecret;
    }
    return body.get('client_id') === this.clientId && body.get('client_secret') === this.clientSecret;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
  });
}
