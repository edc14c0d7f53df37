import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface TokenOptions {
  sub?: string;
  aud?: string | string[];
  iss?: string;
  scope?: string;
  scp?: string[];
  expiresIn?: number;
  notBefore?: number;
  typ?: string;
  kid?: string;
  claims?: Record<string, unknown>;
  omitExp?: boolean;
}

/**
 * A local token issuer: publishes a JWKS over real HTTP (counting fetches) and signs tokens,
 * so verifier tests exercise the same network path they use in production.
 */
export class TestIssuer {
  jwksFetches = 0;
  keys: SigningKey[] = [];
  #server?: Server;
  url = '';

  static async start(alg = 'RS256'): Promise<TestIssuer> {
    const issuer = new TestIssuer();
    issuer.keys = [await makeKey(alg)];
    issuer.#server = createServer((req, res) => {
      if (req.url === '/jwks') {
        issuer.jwksFetches += 1;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: issuer.keys.map((k) => k.publicJwk) }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => issuer.#server!.listen(0, '127.0.0.1', resolve));
    issuer.url = `http://127.0.0.1:${(issuer.#server!.address() as AddressInfo).port}`;
    return issuer;
  }

  get jwksUri(): string {
    return `${this.url}/jwks`;
  }

  /** Publish a new key and sign with it from now on; the old key stays published (overlap). */
  async rotate(): Promise<void> {
    this.keys = [await makeKey(this.keys[0]!.alg), ...this.keys];
  }

  async token(resource: string, options: TokenOptions = {}, key: SigningKey = this.keys[0]!): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({
      ...(options.scope !== undefined ? { scope: options.scope } : options.scp ? {} : { scope: 'read:whoami' }),
      ...(options.scp && { scp: options.scp }),
      client_id: 'test-client',
      ...options.claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: options.kid ?? key.kid, typ: options.typ ?? 'at+jwt' })
      .setIssuer(options.iss ?? this.url)
      .setSubject(options.sub ?? 'user-1')
      .setAudience(options.aud ?? resource)
      .setIssuedAt(now)
      .setJti(randomUUID());
    if (!options.omitExp) jwt.setExpirationTime(now + (options.expiresIn ?? 300));
    if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
    return jwt.sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
