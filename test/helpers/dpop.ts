import { hash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface ProofOptions {
  htm?: string;
  htu: string;
  /** The access token the proof goes with (`ath`); omitted for token-endpoint proofs. */
  token?: string;
  iat?: number;
  jti?: string;
  nonce?: string;
  typ?: string;
  /** Replace the header's JWK (another key's, a private one…). */
  jwk?: JWK;
  /** Leave out a claim. */
  omit?: 'ath' | 'jti' | 'iat' | 'htu' | 'htm';
}

/** A client's DPoP key pair (RFC 9449): signs proofs, and knows its thumbprint (`cnf.jkt`). */
export class DpopKey {
  private constructor(
    readonly alg: string,
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly privateJwk: JWK,
    readonly jkt: string,
  ) {}

  static async create(alg = 'ES256'): Promise<DpopKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    return new DpopKey(alg, privateKey, publicJwk, await exportJWK(privateKey), await calculateJwkThumbprint(publicJwk));
  }

  async proof(options: ProofOptions): Promise<string> {
    const claims: Record<string, unknown> = {
      jti: options.jti ?? randomUUID(),
      htm: options.htm ?? 'POST',
      htu: options.htu,
      iat: options.iat ?? Math.floor(Date.now() / 1000),
      ...(options.token !== undefined && { ath: hash('sha256', options.token, 'base64url') }),
      ...(options.nonce !== undefined && { nonce: options.nonce }),
    };
    if (options.omit) delete claims[options.omit];
    return new SignJWT(claims).setProtectedHeader({ alg: this.alg, typ: options.typ ?? 'dpop+jwt', jwk: options.jwk ?? this.publicJwk }).sign(this.privateKey);
  }
}
