import { clientSecretMatches } from '../clients/secrets.js';
import { singleValuedForm } from '../web/forms.js';
import type { Context } from 'hono';
import type Provider from 'oidc-provider';
import { InvalidTokenError, type TokenVerifier } from '../../resource/verifier.js';
import type { Store } from '../../store/contract/store.js';
import type { ClientRecord } from '../clients/registry.js';
import { HttpError, InvalidRequestError } from '../../util/http-error.js';

/** The answers of this endpoint are never cached, by HTTP/1.0 caches either (RFC 6749 §5.1). */
const PRAGMA = { Pragma: 'no-cache' };

/**
 * RFC 7662 introspection for resource servers holding credentials made with `gatehouse clients add
 * --resource-server`. oidc-provider cannot introspect JWT access tokens (it does not store them), so this
 * endpoint answers for both kinds itself: access tokens through the same verifier as the in-process resource
 * server (signature, expiry, grant not revoked, account enabled), refresh tokens through the provider's store.
 */
export function introspectionHandler(provider: Provider, verifier: TokenVerifier, store: Store) {
  return async (c: Context): Promise<Response> => {
    const form = await singleValuedForm(c);
    if (!form) throw new InvalidRequestError('send one application/x-www-form-urlencoded body, each parameter once', { headers: PRAGMA });
    const client = await authenticate(store, c.req.header('authorization'), form);
    // RFC 6749 §5.2: a failed client authentication with the Authorization header is a 401 with its challenge.
    if (!client) throw new HttpError(401, 'invalid_client', 'client authentication failed', { challenge: 'Basic realm="introspection"' });
    const token = typeof form['token'] === 'string' ? form['token'] : '';
    if (!token) throw new InvalidRequestError('missing token', { headers: PRAGMA });
    return noStore(await describe(provider, verifier, token));
  };
}

async function describe(provider: Provider, verifier: TokenVerifier, token: string): Promise<Record<string, unknown>> {
  if (token.split('.').length === 3) {
    try {
      const verified = await verifier.verify(token);
      return {
        active: true,
        token_type: 'access_token',
        sub: verified.subject,
        client_id: verified.clientId,
        scope: verified.scopes.join(' '),
        aud: verified.audience.length === 1 ? verified.audience[0] : verified.audience,
        iss: verified.issuer,
        exp: verified.expiresAt,
        iat: verified.claims['iat'],
        ...(verified.email !== undefined && { username: verified.email }),
      };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { active: false };
      throw error;
    }
  }
  const refresh = await provider.RefreshToken.find(token).catch(() => undefined);
  if (!refresh || refresh.consumed || refresh.isExpired) return { active: false };
  const grant = refresh.grantId ? await provider.Grant.find(refresh.grantId) : undefined;
  if (!grant) return { active: false };
  return {
    active: true,
    token_type: 'refresh_token',
    sub: refresh.accountId,
    client_id: refresh.clientId,
    scope: refresh.scope,
    exp: refresh.exp,
    iat: refresh.iat,
    iss: provider.issuer,
  };
}

/**
 * client_secret_basic or client_secret_post, in constant time, and only for resource-server credentials the
 * operator created: a self-registered client cannot make itself an introspector.
 */
async function authenticate(store: Store, header: string | undefined, form: Record<string, unknown>) {
  let id: string | undefined;
  let secret: string | undefined;
  if (header?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      id = decode(decoded.slice(0, colon));
      secret = decode(decoded.slice(colon + 1));
    } catch {
      return undefined;
    }
  } else if (typeof form['client_id'] === 'string' && typeof form['client_secret'] === 'string') {
    id = form['client_id'];
    secret = form['client_secret'];
  }
  if (!id || !secret) return undefined;
  const client = (await store.get<ClientRecord>('Client', id))?.value;
  const expected = client?.gatehouse_role === 'resource-server' ? client.client_secret : undefined;
  return client && clientSecretMatches(expected, secret) ? client : undefined;
}

function noStore(body: Record<string, unknown>): Response {
  return Response.json(body, { headers: { 'Cache-Control': 'no-store', ...PRAGMA } });
}
