import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from '../../audit/audit-log.js';

/** The client's address: the Koa bridge sets X-Forwarded-For to it alone (see canonicalizeRequest), so `ctx.ip` is it. */
function address(ctx: KoaContextWithOIDC): string | undefined {
  return ctx.ip || undefined;
}

/**
 * The token events oidc-provider knows of, in the audit trail: tokens issued and refreshed, clients registered,
 * tokens revoked, and grants killed because a code or refresh token was used twice.
 */
export function auditProviderEvents(provider: Provider, audit: AuditLog): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = ctx.oidc.params?.['grant_type'];
    void audit.record({
      type: grantType === 'refresh_token' ? 'token.refreshed' : 'token.issued',
      subject: ctx.oidc.account?.accountId,
      clientId: ctx.oidc.client?.clientId,
      grantId: ctx.oidc.entities.Grant?.jti,
      address: address(ctx),
      reason: String(grantType),
    });
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const revocation = ctx.oidc.route === 'revocation';
    void audit.record({
      type: revocation ? 'token.revoked' : 'grant.reuse_detected',
      subject: ctx.oidc.account?.accountId,
      clientId: ctx.oidc.client?.clientId,
      grantId,
      address: address(ctx),
      reason: revocation ? 'revoked by the client' : `${String(ctx.oidc.params?.['grant_type'])} used twice: grant revoked`,
    });
  });
  provider.on('registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string; clientName?: string }) => {
    void audit.record({ type: 'client.registered', clientId: client.clientId, address: address(ctx), reason: 'dynamic registration' });
  });
}
