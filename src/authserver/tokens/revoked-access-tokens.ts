import type { Store } from '../../store/contract/store.js';

const KIND = 'RevokedAccessToken';

/**
 * Access tokens revoked before they expired (RFC 7009), by `jti`. The tokens are JWTs the provider never stores,
 * so a signature alone would keep them working: each revoked one leaves a record in the shared store, kept for
 * the token's remaining lifetime, that every replica's verifier reads on every request.
 */
export class RevokedAccessTokens {
  constructor(private readonly store: Store) {}

  /** Record the token as revoked until `expiresAt` (seconds since the epoch), plus the verifier's clock tolerance. */
  async revoke(jti: string, expiresAt: number, toleranceSeconds: number): Promise<void> {
    const remaining = Math.ceil(expiresAt - Date.now() / 1000) + toleranceSeconds;
    if (remaining > 0) await this.store.set(KIND, jti, { revokedAt: Math.floor(Date.now() / 1000) }, remaining);
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.store.get(KIND, jti)) !== undefined;
  }
}
