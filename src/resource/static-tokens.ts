import { timingSafeEqual } from 'node:crypto';
import { tokenHash } from './token-cache.js';
import { InvalidTokenError, type TokenVerifier, type VerifiedToken } from './verifier.js';

export interface StaticTokenIdentity {
  subject: string;
  scopes?: string[];
  clientId?: string;
  username?: string;
  email?: string;
}

/**
 * Fixed tokens mapped to fixed identities, for local development and demos only.
 * Anyone who learns one of these strings is that user until the server restarts with a new list:
 * there is no expiry, no issuer and no revocation. The server prints a warning when this is in use.
 */
export function dangerouslyStaticTokens(tokens: Readonly<Record<string, StaticTokenIdentity>>): TokenVerifier {
  const entries = Object.entries(tokens).map(([token, identity]) => {
    if (token.length < 16) throw new Error('static tokens must be at least 16 characters long');
    return { hash: Buffer.from(tokenHash(token)), identity };
  });
  return {
    audienceImplicit: true,
    description: `DANGEROUS static tokens (${entries.length}) - development only`,
    async verify(token: string): Promise<VerifiedToken> {
      const presented = Buffer.from(tokenHash(token));
      const match = entries.find((e) => e.hash.length === presented.length && timingSafeEqual(e.hash, presented));
      if (!match) throw new InvalidTokenError('Unknown token');
      const { identity } = match;
      return {
        subject: identity.subject,
        clientId: identity.clientId ?? 'static',
        scopes: identity.scopes ?? [],
        audience: [],
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        username: identity.username,
        email: identity.email,
        claims: Object.freeze({ sub: identity.subject }),
      };
    },
  };
}
