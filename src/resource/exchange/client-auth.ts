import { createHash, createPrivateKey, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { type JWK, SignJWT } from 'jose';
import { clientSecretBasic } from '../../util/client-secret-basic.js';

/** RFC 7523 §2.2: the client assertion type of `private_key_jwt`. */
export const JWT_BEARER_CLIENT_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** How long a client assertion is good for: one request, so as short as clocks allow. */
const ASSERTION_LIFETIME_SECONDS = 60;

/** The credentials this server was registered with at the authorization server, as a client of it. */
export interface ClientCredentialOptions {
  clientId: string;
  /** The client secret. Set exactly one of `clientSecret` and `privateKey`. */
  clientSecret?: string;
  /**
   * A private key as a JWK, for `private_key_jwt` (RFC 7523 §2.2): each request carries a fresh assertion signed
   * with it. Its `alg` is used when set (else RS256, or PS256 for Entra, for RSA; ES256/384/512 by curve; EdDSA for
   * Ed25519); its `kid`, `x5t#S256` and `x5t` go in the assertion's header.
   */
  privateKey?: JWK;
}

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** How this server proves who it is to a token endpoint. */
export interface ClientAuthentication {
  readonly method: ClientAuthMethod;
  /** Put the credentials on one token request: an `Authorization` header or form fields. */
  apply(tokenEndpoint: string, headers: Record<string, string>, body: URLSearchParams): Promise<void>;
  /** What must never show in an error message, even when an authorization server echoes it. */
  readonly secrets: readonly string[];
}

export interface ClientAuthenticationOptions {
  /** Who is configuring it, for error messages: `tokenExchange()`. */
  owner: string;
  /** How a secret is sent. */
  secretMethod: 'client_secret_basic' | 'client_secret_post';
  /** Sign RSA keys without an `alg` with PS256 rather than RS256 (Entra recommends it). */
  preferPss?: boolean;
  /** The assertion must name its certificate (`x5t#S256`), as Entra finds the key by it. */
  requireThumbprint?: boolean;
}

/** Check the credentials at construction (a plain Error naming the option) and say how they will be sent. */
export function clientAuthentication(credentials: ClientCredentialOptions, options: ClientAuthenticationOptions): ClientAuthentication {
  const { owner } = options;
  if (typeof credentials.clientId !== 'string' || credentials.clientId.length === 0) throw new Error(`${owner}: set clientId`);
  const { clientId, clientSecret, privateKey } = credentials;
  if (clientSecret !== undefined && privateKey !== undefined) throw new Error(`${owner}: set clientSecret or privateKey, not both`);
  if (clientSecret !== undefined) {
    if (typeof clientSecret !== 'string' || clientSecret.length === 0) throw new Error(`${owner}: clientSecret is empty`);
    return secretAuthentication(clientId, clientSecret, options.secretMethod);
  }
  if (privateKey === undefined) {
    throw new Error(`${owner}: set clientSecret or privateKey, the credentials this server was registered with at the authorization server`);
  }
  return keyAuthentication(clientId, privateKey, options);
}

function secretAuthentication(clientId: string, clientSecret: string, method: 'client_secret_basic' | 'client_secret_post'): ClientAuthentication {
  return {
    method,
    secrets: [clientSecret],
    async apply(_endpoint, headers, body) {
      if (method === 'client_secret_basic') {
        headers['authorization'] = clientSecretBasic(clientId, clientSecret);
        return;
      }
      body.set('client_id', clientId);
      body.set('client_secret', clientSecret);
    },
  };
}

function keyAuthentication(clientId: string, jwk: JWK, options: ClientAuthenticationOptions): ClientAuthentication {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw new Error(`${options.owner}: privateKey is not a private key JWK (${(error as Error).message})`);
  }
  const alg = signingAlgorithm(jwk, options);
  const header = { alg, typ: 'JWT', ...(jwk.kid !== undefined && { kid: jwk.kid }), ...certificateThumbprints(jwk) };
  if (options.requireThumbprint && header['x5t#S256'] === undefined && header.x5t === undefined) {
    throw new Error(`${options.owner}: privateKey must name its certificate: add "x5t#S256" (or "x5c") to the JWK`);
  }
  return {
    method: 'private_key_jwt',
    secrets: [],
    async apply(tokenEndpoint, _headers, body) {
      // RFC 7523 §3: iss and sub are the client, aud the token endpoint; a fresh jti and a short life make a
      // captured assertion worth little.
      const now = Math.floor(Date.now() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader(header)
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(tokenEndpoint)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
        .sign(key);
      body.set('client_id', clientId);
      body.set('client_assertion_type', JWT_BEARER_CLIENT_ASSERTION);
      body.set('client_assertion', assertion);
    },
  };
}

const CURVE_ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', Ed25519: 'EdDSA' };

function signingAlgorithm(jwk: JWK, options: ClientAuthenticationOptions): string {
  if (typeof jwk.alg === 'string') {
    if (/^(none|HS\d+)$/i.test(jwk.alg)) throw new Error(`${options.owner}: privateKey's alg ${jwk.alg} is not a signature algorithm`);
    return jwk.alg;
  }
  if (jwk.kty === 'RSA') return options.preferPss ? 'PS256' : 'RS256';
  const byCurve = jwk.crv !== undefined ? CURVE_ALGORITHMS[jwk.crv] : undefined;
  if (byCurve === undefined) throw new Error(`${options.owner}: set privateKey's alg (no default for a ${jwk.kty} ${jwk.crv ?? ''} key)`);
  return byCurve;
}

/** The certificate's thumbprints as the JWK gives them, or `x5t#S256` worked out from its first `x5c` certificate. */
function certificateThumbprints(jwk: JWK): { 'x5t#S256'?: string; x5t?: string } {
  const s256 = jwk['x5t#S256'] ?? (jwk.x5c?.[0] !== undefined ? createHash('sha256').update(Buffer.from(jwk.x5c[0], 'base64')).digest('base64url') : undefined);
  return { ...(s256 !== undefined && { 'x5t#S256': s256 }), ...(jwk.x5t !== undefined && { x5t: jwk.x5t }) };
}
