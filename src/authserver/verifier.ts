import type { JWK } from 'jose';
import { jwt } from '../resource/jwt.js';
import { InvalidTokenError, VerifierUnavailableError, type TokenVerifier, type VerifiedToken } from '../resource/verifier.js';
import { StoreUnavailableError, type Store } from '../store/store.js';
import type { Accounts } from './accounts.js';
import type { Consents } from './consents.js';
import { publicJwk } from './keys.js';
import type { UpstreamVault } from './upstream/vault.js';
import type { UpstreamCaller } from '../mcp/caller.js';

/**
 * The in-process resource server's verifier for tokens of the embedded authorization server: the JWT checks
 * (signature with our own keys, issuer, expiry, `typ: at+jwt`), then the state a signature cannot show —
 * the grant still exists (not revoked on the account page, nor by refresh-token reuse) and the account is enabled.
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
  const signature = jwt({
    issuer: options.issuer,
    publicKey: { keys: options.signing.map(publicJwk) },
    algorithms: ['ES256'],
    requireAccessTokenType: true,
    clockToleranceSeconds: 5,
  });

  async function checkState(verified: VerifiedToken): Promise<VerifiedToken> {
    const grantId = verified.claims['gid'];
    if (typeof grantId !== 'string' || !(await options.store.get('Grant', grantId))) {
      throw new InvalidTokenError('The access was revoked');
    }
    const user = await options.accounts.findById(verified.subject);
    if (!user || user.disabled) throw new InvalidTokenError('The account is disabled or gone');
    if (verified.clientId) void options.consents.touch(verified.subject, verified.clientId, grantId).catch(() => undefined);
    const identity = user.identities?.[0];
    const vault = options.vault;
    if (!identity || !vault) return verified;
    const { source, subject, email, emailVerified, username, name } = identity;
    const upstream: UpstreamCaller = Object.freeze({
      source,
      subject,
      emailVerified,
      ...(email !== undefined && { email }),
      ...(username !== undefined && { username }),
      ...(name !== undefined && { name }),
      accessToken: () => vault.accessToken(user.id, source),
    });
    return { ...verified, upstream };
  }

  return {
    description: 'embedded authorization server',
    async verify(token: string): Promise<VerifiedToken> {
      const verified = await signature.verify(token);
      try {
        return await checkState(verified);
      } catch (error) {
        // The store is down: the token cannot be judged, so it is neither accepted nor called invalid.
        if (error instanceof StoreUnavailableError) throw new VerifierUnavailableError('The authorization state cannot be read right now');
        throw error;
      }
    },
  };
}
