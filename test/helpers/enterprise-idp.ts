import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { makeKey, type SigningKey } from './issuer.js';

export interface IdJagOptions {
  /** The authorization server's issuer (the ID-JAG's audience). */
  aud: string;
  clientId: string;
  resource?: string;
  sub?: string;
  scope?: string;
  email?: string;
  typ?: string;
  iss?: string;
  jti?: string;
  /** Seconds from now; negative for an assertion that has already expired. */
  expiresIn?: number;
  /** Sign with this key instead of the published one. */
  key?: SigningKey;
  /** Further claims (`email_verified`, `name`…). */
  claims?: Record<string, unknown>;
}

/**
 * An enterprise identity provider on this machine: it publishes OpenID discovery and a JWKS over real HTTP and
 * signs ID-JAGs with its key, as the IdP's token exchange (RFC 8693) would hand them to a client.
 */
export class EnterpriseIdp {
  url = '';
  key!: SigningKey;
  #server?: Server;

  static async start(): Promise<EnterpriseIdp> {
    const idp = new EnterpriseIdp();
    idp.key = await makeKey('ES256');
    idp.#server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer: idp.url, jwks_uri: `${idp.url}/jwks`, token_endpoint: `${idp.url}/token` }));
      } else if (req.url === '/jwks') {
        res.end(JSON.stringify({ keys: [idp.key.publicJwk] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => idp.#server!.listen(0, '127.0.0.1', resolve));
    idp.url = `http://127.0.0.1:${(idp.#server!.address() as AddressInfo).port}`;
    return idp;
  }

  async idJag(options: IdJagOptions): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const key = options.key ?? this.key;
    return new SignJWT({
      client_id: options.clientId,
      ...(options.resource !== undefined && { resource: options.resource }),
      ...(options.scope !== undefined && { scope: options.scope }),
      ...(options.email !== undefined && { email: options.email }),
      ...options.claims,
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: options.typ ?? 'oauth-id-jag+jwt' })
      .setIssuer(options.iss ?? this.url)
      .setSubject(options.sub ?? 'employee-1')
      .setAudience(options.aud)
      .setIssuedAt(now - (options.expiresIn !== undefined && options.expiresIn < 0 ? 300 : 0))
      .setExpirationTime(now + (options.expiresIn ?? 300))
      .setJti(options.jti ?? randomUUID())
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
