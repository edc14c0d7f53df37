import { errors } from 'oidc-provider';

/**
 * An ID-JAG this server will not honour: `invalid_grant` (RFC 7523 §3.1), with a description that says what was
 * wrong and what would make it right, rather than oidc-provider's generic "grant request is invalid".
 */
export function assertionRefused(description: string): Error {
  return new errors.CustomOIDCProviderError('invalid_grant', description);
}

/** The client may not use the enterprise grant at all (RFC 6749 §5.2 `unauthorized_client`). */
export function clientNotAllowed(description: string): Error {
  return new errors.CustomOIDCProviderError('unauthorized_client', description);
}

/**
 * The identity provider's metadata or keys cannot be had just now: nothing is wrong with the assertion, and the
 * same request may succeed later. A 503 the client is told about (oidc-provider hides 5xx errors unless exposed).
 */
export class IdpUnavailable extends errors.OIDCProviderError {
  /** `detail` goes to the log line only: it may name hosts the client has no business learning. */
  constructor(description: string, detail: string) {
    super(503, 'temporarily_unavailable', { detail });
    Object.assign(this, { error_description: description, expose: true });
  }
}
