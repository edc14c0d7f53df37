import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { AuditRecorder } from '../../audit/audit-log.js';
import type { Store } from '../../store/contract/store.js';
import { InvalidTokenError } from '../../resource/verifier.js';
import { RevokedAccessTokens } from './revoked-access-tokens.js';
import { accessTokenSignature, CLOCK_TOLERANCE_SECONDS } from './embedded-verifier.js';

/**
 * RFC 7009 revocation of our JWT access tokens. oidc-provider refuses to revoke a structured token
 * (`unsupported_token_type`), but only after it has authenticated the client: such a refusal is taken over
 * here, with the client the provider authenticated. A token signed by us for that same client is recorded as
 * revoked until it expires; any other token (forged, expired, another client's) changes nothing, and every
 * case answers 200 as §2.2 says, so the endpoint tells no one whether a token is live.
 *
 * A revocation by the token's own client is recorded in the audit trail as `token.revoked`. The requests that
 * change nothing (another client's token, a forged or expired one) record nothing: registering a client is free,
 * so they must not be able to fill the trail, nor show up in the token owner's activity.
 */
export function revokeAccessTokensOnRequest(provider: Provider, options: { issuer: string; signing: JWK[]; store: Store; audit: AuditRecorder }): void {
  const signature = accessTokenSignature(options.issuer, options.signing);
  const revoked = new RevokedAccessTokens(options.store);
  const structured = new WeakSet<KoaContextWithOIDC>();

  provider.on('revocation.error', (ctx: KoaContextWithOIDC, error: unknown) => {
    // Thrown only by the structured-token check, which runs after client authentication succeeded.
    if (error instanceof errors.UnsupportedTokenType && ctx.oidc.client) structured.add(ctx);
  });

  provider.use(async (ctx, next) => {
    await next();
    const oidcCtx = ctx as KoaContextWithOIDC;
    if (!structured.has(oidcCtx)) return;
    const client = oidcCtx.oidc.client!;
    const token = String(oidcCtx.oidc.params?.['token'] ?? '');
    try {
      const verified = await signature.verify(token);
      const jti = verified.claims['jti'];
      if (verified.clientId === client.clientId && typeof jti === 'string') {
        await revoked.revoke(jti, verified.expiresAt, CLOCK_TOLERANCE_SECONDS);
        const grantId = verified.claims['gid'];
        await options.audit.record({
          type: 'token.revoked',
          subject: verified.subject,
          clientId: client.clientId,
          ...(typeof grantId === 'string' && { grantId }),
          // The Koa bridge leaves the client's address alone in X-Forwarded-For (see audit-events.ts).
          address: ctx.ip || undefined,
          reason: 'access token revoked by the client',
        });
      }
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
    }
    ctx.status = 200;
    ctx.remove('Content-Type');
    ctx.body = '';
  });
}
