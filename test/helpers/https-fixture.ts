import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed certificate for `localhost`, 127.0.0.1 and ::1, made with the openssl command line. */
export function selfSignedCertificate(): { dir: string; certPath: string; keyPath: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ],
    { stdio: 'pipe' },
  );
  return { dir, certPath, keyPath };
}

interface Document {
  body: string;
  headers: Record<string, string>;
}

/**
 * An HTTPS server on loopback serving JSON documents at fixed paths (e.g. Client ID Metadata Documents),
 * counting every request per path so tests can see what was fetched, and when.
 */
export class HttpsFixture {
  readonly hits = new Map<string, number>();
  /** TCP connections accepted, whether or not a request followed. */
  connections = 0;
  readonly #documents = new Map<string, Document>();
  #server?: Server;
  certPath = '';
  origin = '';

  static async start(): Promise<HttpsFixture> {
    const fixture = new HttpsFixture();
    const { certPath, keyPath } = selfSignedCertificate();
    fixture.certPath = certPath;
    fixture.#server = createServer({ cert: readFileSync(certPath), key: readFileSync(keyPath) }, (req, res) => {
      const path = new URL(req.url ?? '/', 'https://localhost').pathname;
      fixture.hits.set(path, (fixture.hits.get(path) ?? 0) + 1);
      const doc = fixture.#documents.get(path);
      if (!doc) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...doc.headers });
      res.end(doc.body);
    });
    fixture.#server.on('connection', () => (fixture.connections += 1));
    await new Promise<void>((resolve) => fixture.#server!.listen(0, '127.0.0.1', resolve));
    fixture.origin = `https://localhost:${(fixture.#server.address() as AddressInfo).port}`;
    return fixture;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  serve(path: string, document: unknown, headers: Record<string, string> = {}): string {
    this.#documents.set(path, { body: JSON.stringify(document), headers });
    return this.url(path);
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}
