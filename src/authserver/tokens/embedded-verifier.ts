import type { JWK } from 'jose';
import { jwt } from '../../resource/jwt.js';
import { InvalidTokenError, VerifierUnavailableError, type TokenVerifier, type VerifiedToken } from '../../resource/verifier.js';
import { StoreUnavailableError, type Store } from '../../store/contract/store.js';
import type { Accounts } from '../people/accounts.js';
import type { Consents } from '../people/consents.js';
import { publicJwk } from '../keys/keys.js';
import { RevokedAccessTokens } from './revoked-access-tokens.js';
import type { UpstreamVault } from '../upstream/vault.js';
import { upstreamProfile, type UpstreamCaller } from '../../resource/caller.js';
import { isMachineToken } from './machine-token.js';
import type { ClientRecord } from '../clients/registry.js';

/** Clock difference allowed on our own tokens' `exp` (the verifier and the issuer are the same deployment). */
export const CLOCK_TOLERANCE_SECONDS = 5;

/** The JWT checks alone (signature with our own keys, issuer, expiry, `typ: at+jwt`): what a token says, not whether it still holds. */
export function accessTokenSignature(issuer: string, signing: JWK[]): TokenVerifier {
  return jwt({
    issuer,
    publicKey: { keys: signing.map(publicJwk) },
    algorithms: ['ES256'],
    requireAccessTokenType: true,
    clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  });
}

/**
 * The in-process resource server's verifier for tokens of the embedded authorization server: the JWT checks,
 * then the state a signature cannot show, read from the store on every request (never cached, so every replica
 * sees a revocation at once) — the token itself was not revoked (RFC 7009), its grant still exists (not revoked
 * on the account page, by its refresh token's revocation, nor by refresh-token reuse) and the account is enabled.
 */
export function embeddedVerifier(options: {
  issuer: string;
  signing: JWK[];
  store: Store;
  accounts: Accounts;
  consents: Consents;
  /** Federated mode: where the upstream tokens of the caller are kept. */
  vault?: UpstreamVault;
}): TokenVerifier {
  const signature = accessTokenSignature(options.issuer, options.signing);
  const revoked = new RevokedAccessTokens(options.store);

  async function checkState(verified: VerifiedToken): Promise<VerifiedToken> {
    if (isMachineToken(verified.claims)) return checkMachine(verified);
    const grantId = verified.claims['gid'];
    const jti = verified.claims['jti'];
    if (typeof grantId !== 'string' || typeof jti !== 'string') throw new InvalidTokenError('The access was revoked');
    // Both reads at once: one round trip's wait on Redis.
    const [grant, tokenRevoked] = await Promise.all([options.store.get('Grant', grantId), revoked.isRevoked(jti)]);
    if (!grant || tokenRevoked) throw new InvalidTokenError('The access was revoked');
    const user = await options.accounts.findById(verified.subject);
    if (!user || user.disabled) throw new InvalidTokenError('The account is disabled or gone');
    if (verified.clientId) void options.consents.touch(verified.subject, verified.clientId, grantId).catch(() => undefined);
    const identity = user.identities?.[0];
    const vault = options.vault;
    if (!identity || !vault) return verified;
    const upstream: UpstreamCaller = Object.freeze({
      ...upstreamProfile(identity.source, identity),
      accessToken: () => vault.accessToken(user.id, identity.source),
    });
    return { ...verified, upstream };
  }

  /** A machine client's own token: not revoked, and the client is still registered as a machine client. */
  async function checkMachine(verified: VerifiedToken): Promise<VerifiedToken> {
    const clientId = verified.claims['client_id'] as string;
    const [client, tokenRevoked] = await Promise.all([
      options.store.get<ClientRecord>('Client', clientId),
      revoked.isRevoked(verified.claims['jti'] as string),
    ]);
    if (tokenRevoked || client?.value.gatehouse_kind !== 'machine') throw new InvalidTokenError('The access was revoked');
    return { ...verified, kind: 'machine', clientId, clientName: client.value.client_name };
  }

  return {
    description: 'embedded authorization server',
    async verify(token: string): Promise<VerifiedToken> {
      const verified = await signature.verify(token);
      try {
        return await checkState(verified);
      } catch (error) {
        // The store is down: the token cannot be judged, so it is neither accepted nor called invalid.
        if (error instanceof StoreUnavailableError)
          throw new VerifierUnavailableError('The authorization state cannot be read right now', { reason: 'store_unavailable', cause: error });
        throw error;
      }
    },
  };
}
