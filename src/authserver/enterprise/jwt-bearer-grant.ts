import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { AuditRecorder } from '../../audit/audit-log.js';
import type { Store } from '../../store/contract/store.js';
import { JWT_BEARER, verifyIdJag, type IdJag } from './id-jag.js';
import { assertionRefused, clientNotAllowed } from './refusals.js';
import type { TrustedIdps } from './trusted-idps.js';
import type { Accounts, PublicUser } from '../people/accounts.js';

export { JWT_BEARER };

/** Store kind of the `jti`s already redeemed, per issuer, kept until the assertion would have expired anyway. */
const USED_ASSERTION = 'IdJagUsed';
/** Kept a little past `exp`, for the clock tolerance the expiry check allows. */
const USED_MARGIN_SECONDS = 60;

export interface EnterpriseGrantOptions {
  idps: TrustedIdps;
  /** This authorization server's issuer: the audience of every ID-JAG. */
  issuer: string;
  /** The resource identifiers this server issues tokens for. */
  resources: readonly string[];
  /** The resource's scopes (the tools'): the most a token may carry. */
  resourceScopes: readonly string[];
  store: Store;
  accounts: Accounts;
  /** Whether the operator registered this client (the CLI), rather than a registration or metadata document. */
  operatorClient(clientId: string): Promise<boolean>;
  audit: AuditRecorder;
  /** Link a person to the existing account with the email the IdP vouches for (as for upstream sign-in). */
  linkByVerifiedEmail: boolean;
  accessTokenTtlSeconds: number;
}

/** How oidc-provider describes the resource a token is for (its `getResourceServerInfo`). */
export type ResourceServerInfo = import('oidc-provider').ResourceServer;

/**
 * Enterprise-managed authorization (the MCP extension of SEP-990): an enterprise IdP the operator trusts issues an
 * ID-JAG for a person, and the client the IdP named redeems it here, with its own credentials, for an access token
 * with the scopes the IdP granted. No consent page: the enterprise decided.
 */
export interface EnterpriseGrant {
  register(provider: Provider, resourceServerInfo: (resource: string) => ResourceServerInfo): void;
  /** The person's name for the JWT access token this grant issued, so the resource server can say who calls. */
  claimsFor(token: object): Record<string, unknown> | undefined;
}

export function enterpriseGrant(options: EnterpriseGrantOptions): EnterpriseGrant {
  const claimsByToken = new WeakMap<object, Record<string, unknown>>();

  async function handle(provider: Provider, resourceServerInfo: (resource: string) => ResourceServerInfo, ctx: KoaContextWithOIDC) {
    const client = ctx.oidc.client!;
    if (client.clientAuthMethod === 'none') {
      throw clientNotAllowed('the enterprise grant needs a confidential client; register one with `gatehouse clients add --enterprise`');
    }
    // A registration or metadata document could list the grant type: only the operator's clients may use it.
    if (!(await options.operatorClient(client.clientId))) {
      throw clientNotAllowed('only clients the operator registered (`gatehouse clients add --enterprise`) may use the enterprise grant');
    }
    const assertion = ctx.oidc.params?.['assertion'];
    if (typeof assertion !== 'string' || assertion === '') throw new errors.InvalidRequest('send the ID-JAG in the assertion parameter');

    const jag = await verifyIdJag(assertion, { idps: options.idps, audience: options.issuer, resources: options.resources, clientId: client.clientId });
    const requestedResource = ctx.oidc.params?.['resource'];
    if (requestedResource !== undefined && requestedResource !== jag.resource) {
      throw new errors.InvalidTarget(`the resource parameter must be the assertion's resource, ${jag.resource}`);
    }
    const scope = grantedScope(jag, typeof client['scope'] === 'string' ? client['scope'] : undefined, ctx.oidc.params?.['scope']);

    // After the signature is checked, so nobody can use up someone else's jti with a forged assertion.
    const ttl = Math.max(1, jag.expiresAt - Math.floor(Date.now() / 1000) + USED_MARGIN_SECONDS);
    if (!(await options.store.setIfAbsent(USED_ASSERTION, `${jag.issuer}|${jag.jti}`, { clientId: client.clientId }, ttl))) {
      throw assertionRefused('this assertion was already redeemed; an ID-JAG is single use, so ask the identity provider for a new one');
    }

    const user = await personOf(jag);
    if (user.disabled) throw assertionRefused('the account of this person is disabled on this server; ask its operator');

    const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
    // The grant ends with its one access token: there is no refresh token to keep it alive.
    Object.assign(grant, { expiresIn: options.accessTokenTtlSeconds });
    grant.addResourceScope(jag.resource, scope);
    const grantId = await grant.save();
    const token = new provider.AccessToken({ accountId: user.id, client, grantId, gty: JWT_BEARER, scope });
    token.resourceServer = new provider.ResourceServer(jag.resource, resourceServerInfo(jag.resource));
    const username = jag.username ?? jag.email;
    claimsByToken.set(token, { ...(username && { preferred_username: username }), ...(user.email && { email: user.email }) });

    ctx.oidc.entity('Account', { accountId: user.id, claims: async () => ({ sub: user.id }) } as never);
    ctx.oidc.entity('Grant', grant);
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();
    void options.audit.record({
      type: 'assertion.accepted',
      subject: user.id,
      clientId: client.clientId,
      grantId,
      address: ctx.ip || undefined,
      reason: `ID-JAG from ${jag.issuer} for ${jag.subject}: ${scope}`,
    });
    ctx.body = { access_token: value, token_type: 'Bearer', expires_in: token.expiration, scope };
  }

  /**
   * The scopes the token carries: those the assertion grants (all of the resource's when it names none), narrowed
   * to what the client may have (its registered `scope`) and to what the request asks for.
   */
  function grantedScope(jag: IdJag, allowance: string | undefined, requested: unknown): string {
    const allowed = allowance === undefined ? undefined : new Set(allowance.split(' '));
    const asked = typeof requested === 'string' && requested !== '' ? new Set(requested.split(' ')) : undefined;
    const scopes = options.resourceScopes.filter(
      (s) => (jag.scopes === undefined || jag.scopes.includes(s)) && (!allowed || allowed.has(s)) && (!asked || asked.has(s)),
    );
    if (scopes.length === 0) {
      throw new errors.InvalidScope(
        `nothing to grant: the assertion grants ${jag.scopes?.join(' ') || 'no scope of this server'}, the client may have ${allowance ?? 'any scope'}${asked ? `, the request asks for ${[...asked].join(' ')}` : ''}, and this server offers ${options.resourceScopes.join(' ')}`,
        options.resourceScopes.join(' '),
      );
    }
    return scopes.join(' ');
  }

  /** The person, by their `sub` at this IdP; created on the first assertion, found again after. */
  async function personOf(jag: IdJag): Promise<PublicUser> {
    const known = await options.accounts.findByIdentity(jag.issuer, jag.subject);
    const user = await options.accounts.signInWithIdentity(
      {
        source: jag.issuer,
        subject: jag.subject,
        // The email is a label unless linking is on; then the IdP vouches for it unless it says otherwise.
        emailVerified: options.linkByVerifiedEmail && jag.email !== undefined && jag.emailVerified !== false,
        ...(jag.email && { email: jag.email }),
        ...(jag.username && { username: jag.username }),
        ...(jag.name && { name: jag.name }),
      },
      { linkByVerifiedEmail: options.linkByVerifiedEmail },
    );
    if (!known) void options.audit.record({ type: 'account.created', subject: user.id, reason: `ID-JAG from ${jag.issuer}` });
    return user;
  }

  return {
    register(provider, resourceServerInfo) {
      provider.registerGrantType(JWT_BEARER, (ctx) => handle(provider, resourceServerInfo, ctx), new Set(['assertion', 'scope', 'resource']));
      // Every refusal of this grant, whoever found it (client authentication, the grant type check, this handler).
      provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: unknown; error_description?: unknown }) => {
        if (ctx.oidc?.params?.['grant_type'] !== JWT_BEARER) return;
        void options.audit.record({
          type: 'assertion.refused',
          clientId: ctx.oidc.client?.clientId,
          address: ctx.ip || undefined,
          reason: `${String(error.error)}: ${String(error.error_description ?? '')}`,
        });
      });
    },
    claimsFor: (token) => claimsByToken.get(token),
  };
}
