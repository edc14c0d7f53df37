import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { noteRefusal } from '../../util/refusal-reasons.js';

/** oidc-provider's error events of the endpoints it answers (its `<route>.error`; `server_error` is logged apart). */
const ERROR_EVENTS = [
  'authorization.error',
  'grant.error',
  'registration_create.error',
  'registration_read.error',
  'revocation.error',
  'end_session.error',
  'end_session_confirm.error',
  'discovery.error',
  'jwks.error',
  'userinfo.error',
] as const;

interface ProviderError {
  error?: unknown;
  error_description?: unknown;
  error_detail?: unknown;
  message?: unknown;
}

/**
 * Every refusal oidc-provider answers goes in its request's log line: the OAuth error, what the client was told
 * and the detail oidc-provider keeps for logs (which check failed), e.g. `invalid_grant: grant request is invalid
 * (PKCE verification failed)`.
 */
export function logProviderRefusals(provider: Provider): void {
  // The typings list each event with its own signature; every one of these is (ctx, error).
  const on = provider.on.bind(provider) as (event: string, listener: (ctx: KoaContextWithOIDC, error: ProviderError) => void) => void;
  for (const event of ERROR_EVENTS) {
    on(event, (ctx, error) => {
      const code = typeof error.error === 'string' ? error.error : 'error';
      const description = typeof error.error_description === 'string' ? error.error_description : String(error.message ?? '');
      const detail = typeof error.error_detail === 'string' && error.error_detail !== description ? ` (${error.error_detail})` : '';
      noteRefusal(ctx.req, `${code}: ${description}${detail}`);
    });
  }
}
