import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { selfSignedCertificate } from './https-fixture.js';

/** What the hostile host answers at a path. */
export type Behaviour =
  /** A JSON document. */
  | { kind: 'json'; body: unknown; headers?: Record<string, string> }
  /** `200` and a body of `totalBytes` (default 64 MiB), written as fast as the reader takes it. */
  | { kind: 'huge'; totalBytes?: number }
  /** `200` and one byte every 100 ms, 600 bytes in all: a minute to finish. */
  | { kind: 'slow' }
  /** `302` to another URL. */
  | { kind: 'redirect'; to: string }
  /** Headers never come: the request is held until the client gives up. */
  | { kind: 'hold' };

/** One answer, as the hostile host saw it end. */
export interface Exchange {
  path: string;
  bytesSent: number;
  /** The client closed the connection before the host had written everything it meant to. */
  closedByPeer: boolean;
}

const CHUNK = Buffer.alloc(16 * 1024, 0x20);

/**
 * A hostile metadata host on loopback (HTTPS with a self-signed certificate for `localhost` and 127.0.0.1, or plain
 * http): it serves
 * documents that are endless, slow, redirecting or never answered, and records every TCP connection and how each
 * answer ended, so a test can see what the server under attack did to it from the other end of the wire.
 */
export class HostileHost {
  readonly #routes = new Map<string, Behaviour>();
  readonly #waiting = new Map<string, Array<(exchange: Exchange) => void>>();
  readonly exchanges: Exchange[] = [];
  readonly hits = new Map<string, number>();
  /** TCP connections accepted, whether or not a request followed. */
  connections = 0;
  /** Connections open now, and the most ever open at once. */
  open = 0;
  maxOpen = 0;
  certPath = '';
  certificate = '';
  port = 0;
  scheme = 'https';
  #server?: Server;

  /** `plain`: serve http instead, as fast as loopback carries it (for floods where TLS would be the bottleneck). */
  static async start(options: { plain?: boolean } = {}): Promise<HostileHost> {
    const host = new HostileHost();
    const answer = (req: IncomingMessage, res: ServerResponse) => host.#answer(req, res);
    if (options.plain) {
      host.scheme = 'http';
      host.#server = createHttpServer(answer);
    } else {
      const { certPath, keyPath } = selfSignedCertificate();
      host.certPath = certPath;
      host.certificate = readFileSync(certPath, 'utf8');
      host.#server = createHttpsServer({ cert: host.certificate, key: readFileSync(keyPath) }, answer);
    }
    host.#server.on('connection', (socket) => {
      host.connections += 1;
      host.open += 1;
      host.maxOpen = Math.max(host.maxOpen, host.open);
      socket.once('close', () => (host.open -= 1));
    });
    await new Promise<void>((resolve) => host.#server!.listen(0, '127.0.0.1', resolve));
    host.port = (host.#server.address() as AddressInfo).port;
    return host;
  }

  /** `https://127.0.0.1:<port><path>`, or with another host name that reaches the same listener. */
  url(path: string, hostname = '127.0.0.1'): string {
    return `${this.scheme}://${hostname}:${this.port}${path}`;
  }

  on(path: string, behaviour: Behaviour): string {
    this.#routes.set(path, behaviour);
    return this.url(path);
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  /** The next answer at `path` to end (however it ends). */
  ended(path: string): Promise<Exchange> {
    return new Promise((resolve) => this.#waiting.set(path, [...(this.#waiting.get(path) ?? []), resolve]));
  }

  /** Resolves once no connection is open. */
  async drained(): Promise<void> {
    while (this.open > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'https://localhost').pathname;
    this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
    const behaviour = this.#routes.get(path);
    let bytesSent = 0;
    let finished = false;
    res.once('close', () => {
      const exchange = { path, bytesSent, closedByPeer: !finished };
      this.exchanges.push(exchange);
      const waiters = this.#waiting.get(path) ?? [];
      this.#waiting.delete(path);
      for (const resolve of waiters) resolve(exchange);
    });
    const end = (body?: string) => {
      finished = true;
      res.end(body);
    };
    switch (behaviour?.kind) {
      case undefined:
        res.statusCode = 404;
        end();
        return;
      case 'json': {
        const body = JSON.stringify(behaviour.body);
        res.writeHead(200, { 'content-type': 'application/json', ...behaviour.headers });
        bytesSent = Buffer.byteLength(body);
        end(body);
        return;
      }
      case 'redirect':
        res.writeHead(302, { location: behaviour.to });
        end();
        return;
      case 'hold':
        return;
      case 'huge': {
        const total = behaviour.totalBytes ?? 64 * 1024 * 1024;
        res.writeHead(200, { 'content-type': 'application/json' });
        const pump = () => {
          while (!res.destroyed && bytesSent < total) {
            const chunk = CHUNK.subarray(0, Math.min(CHUNK.length, total - bytesSent));
            bytesSent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) end();
        };
        pump();
        return;
      }
      case 'slow': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          res.write(' ');
          bytesSent += 1;
          if (bytesSent === 600) {
            clearInterval(timer);
            end();
          }
        }, 100);
        res.once('close', () => clearInterval(timer));
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
