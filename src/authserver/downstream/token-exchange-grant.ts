import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import { ACCESS_TOKEN_TYPE, DownstreamTokenError, TOKEN_EXCHANGE } from '../../resource/downstream.js';
import { InvalidTokenError, type TokenVerifier, type VerifiedToken } from '../../resource/verifier.js';
import type { ClientRegistry } from '../clients/registry.js';
import type { DownstreamMint } from './downstream-mint.js';

const PARAMETERS = new Set(['subject_token', 'subject_token_type', 'requested_token_type', 'resource', 'audience', 'scope', 'actor_token', 'actor_token_type']);

/**
 * A refusal as the engine renders it: the OAuth error with a description that says what to fix (oidc-provider's
 * own error classes would replace some descriptions with a generic one).
 */
const refusal = (code: string, description: string): Error => new errors.CustomOIDCProviderError(code, description);

/**
 * RFC 8693 at the token endpoint, for downstream APIs the operator registered (`gatehouse resources add`): an API
 * that received a token from this server (exchanged for it by the MCP server, or by another API) trades it, with
 * its own credentials, for a token to a further registered API. The token it presents must be for that API
 * itself: nobody can exchange a token they were merely shown.
 */
export function registerTokenExchange(provider: Provider, options: { verifier: TokenVerifier; clients: ClientRegistry; mint: DownstreamMint }): void {
  async function handle(ctx: KoaContextWithOIDC): Promise<void> {
    const params = ctx.oidc.params as Record<string, unknown>;
    const client = ctx.oidc.client!;
    // The grant is the operator's to give: a registration or a metadata document could list it, not use it.
    const actor = (await options.clients.find(client.clientId))?.gatehouse_resource;
    if (client.clientAuthMethod === 'none' || actor === undefined) {
      throw refusal('unauthorized_client', 'token exchange is for downstream APIs the operator registered with `gatehouse resources add`');
    }
    if (params['subject_token_type'] !== ACCESS_TOKEN_TYPE) throw refusal('invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params['requested_token_type'] !== undefined && params['requested_token_type'] !== ACCESS_TOKEN_TYPE) {
      throw refusal('invalid_request', `only ${ACCESS_TOKEN_TYPE} can be requested`);
    }
    if (params['actor_token'] !== undefined) throw refusal('invalid_request', 'actor tokens are not accepted: the authenticated client is the actor');
    const subjectToken = params['subject_token'];
    if (typeof subjectToken !== 'string' || subjectToken === '') throw refusal('invalid_request', 'send the token to exchange in subject_token');
    const target = params['resource'] ?? params['audience'];
    if (typeof target !== 'string' || target === '') throw refusal('invalid_target', 'name the API the token is for in resource (or audience)');
    if (params['resource'] !== undefined && params['audience'] !== undefined && params['resource'] !== params['audience']) {
      throw refusal('invalid_target', 'resource and audience name different APIs; name one');
    }

    let subject: VerifiedToken;
    try {
      subject = await options.verifier.verify(subjectToken);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw refusal('invalid_grant', `the subject token is not valid: ${error.description}`);
      throw error;
    }
    if (!subject.audience.includes(actor)) throw refusal('invalid_grant', `the subject token was not issued for ${actor}, the API these credentials belong to`);
    const scope = typeof params['scope'] === 'string' && params['scope'] !== '' ? params['scope'].split(' ').filter(Boolean) : undefined;
    try {
      const token = await options.mint.exchange(subject, actor, { resource: target, ...(scope && { scopes: scope }) }, ctx.ip || undefined);
      ctx.body = {
        access_token: token.accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: Math.max(0, token.expiresAt - Math.floor(Date.now() / 1000)),
        scope: token.scopes.join(' '),
      };
    } catch (error) {
      throw error instanceof DownstreamTokenError && error.status < 500 ? refusal(error.code, error.description) : error;
    }
  }

  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx) => {
      try {
        await handle(ctx);
      } catch (error) {
        const refusal = error as { error?: unknown; error_description?: unknown };
        if (typeof refusal.error === 'string') {
          options.mint.refused({ clientId: ctx.oidc.client?.clientId, address: ctx.ip || undefined }, refusal.error, String(refusal.error_description ?? ''));
        }
        throw error;
      }
    },
    PARAMETERS,
  );
}
