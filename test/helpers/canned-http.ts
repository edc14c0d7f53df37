import { createServer, type Server } from 'node:http';

export interface CannedAnswer {
  status?: number;
  contentType?: string;
  body: string | ((origin: string) => string);
}

export interface CannedServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that gives the same answer to every request: a stand-in for a provider that answers
 * wrongly (HTML, unrelated JSON, another issuer's document). The body may be built from the server's own origin.
 */
export async function cannedServer(answer: CannedAnswer): Promise<CannedServer> {
  let origin = '';
  const server: Server = createServer((_req, res) => {
    res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' });
    res.end(typeof answer.body === 'function' ? answer.body(origin) : answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The smallest OpenID discovery document openid-client accepts, for `issuer` (exactly as given). */
export function discoveryDocument(issuer: string): string {
  const base = issuer.replace(/\/$/, '');
  return JSON.stringify({
    issuer,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    jwks_uri: `${base}/jwks`,
    response_types_supported: ['code'],
  });
}
