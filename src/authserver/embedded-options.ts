import type { ClientPolicyOptions } from './clients/client-policy.js';
import type { Store } from '../store/contract/store.js';
import type { UpstreamSource } from './upstream/source.js';
import type { AdmissionPolicy } from './upstream/admission.js';

export interface EmbeddedOptions extends ClientPolicyOptions {
  /** Where keys and the SQLite database live. Default `./.gatehouse`. */
  dataDir?: string;
  /** A store, or its URL: `sqlite:<path>` (default `<dataDir>/gatehouse.db`), `redis://host:port/db`, `postgres://user@host/db`, `memory:`. */
  store?: Store | string;
  /** Namespace in a shared store: the Redis key prefix, the PostgreSQL schema. Default `gatehouse`. */
  storePrefix?: string;
  /** Keep signing keys in the store (shared by replicas) instead of the data directory. Default: with Redis or PostgreSQL. */
  keysInStore?: boolean;
  /** How often replicas look for keys rotated elsewhere. Default 5 s. */
  keyReloadSeconds?: number;
  /** Let clients register themselves (RFC 7591). Default true; every redirect URI still passes the policy. */
  dynamicRegistration?: boolean;
  /** Accept Client ID Metadata Documents (https URLs as client ids). Default true. */
  clientMetadataDocuments?: boolean;
  /** Registrations allowed per client address per hour. Default 20. */
  registrationsPerHour?: number;
  /**
   * Authorization requests (`GET`/`POST /auth`, which anyone may send and which each leave a record for 10
   * minutes) allowed per client address per minute. Default 30.
   */
  authorizationRequestsPerMinute?: number;
  /** Token requests (code, refresh, revocation) allowed per client address per minute. Default 120. */
  tokenRequestsPerMinute?: number;
  /** Introspection requests allowed per client address per minute. Default 1200. */
  introspectionRequestsPerMinute?: number;
  /** Access token lifetime. Default 600 s. */
  accessTokenTtlSeconds?: number;
  /** Lifetime of access tokens issued to machine clients (client_credentials). Default: `accessTokenTtlSeconds`. */
  clientCredentialsTokenTtlSeconds?: number;
  /** Absolute refresh token (and grant) lifetime: a sign-in lasts this long however often it is refreshed. Default 30 days. */
  refreshTokenTtlSeconds?: number;
  /** Idle refresh token lifetime: a refresh token unused this long expires. Default: `refreshTokenTtlSeconds`. */
  refreshTokenIdleTtlSeconds?: number;
  /** How long audit events are kept. Default 90 days. */
  auditRetentionDays?: number;
  /**
   * Serve the authorization server over plain http on a non-loopback address. OAuth 2.1 requires TLS: passwords,
   * codes and tokens would cross the network in clear text. Only for a closed test network.
   */
  dangerouslyAllowHttpIssuer?: boolean;
  /** Upstream providers people sign in with (federated mode): `github(…)`, `google(…)`, `oidc(…)`… */
  upstreams?: UpstreamSource[];
  /** Let local accounts sign in with a password. Default: true without upstreams, false with them. */
  localLogin?: boolean;
  /**
   * Sign an upstream identity in to an existing account that has the same email, when the provider says the
   * email is verified. Default false: identities map by the provider's stable subject only, because an email
   * verified at one provider proves nothing to another.
   */
  linkByVerifiedEmail?: boolean;
  /**
   * Whom upstream sign-ins admit: listed people, GitHub organisations or teams, Google hosted domains, Entra
   * tenants, verified email domains, or only people who already have an account. Required with upstreams.
   */
  admit?: AdmissionPolicy;
  /** Admit anyone with an account at the upstream providers (any GitHub user, any Google account…). */
  dangerouslyAllowAnyUpstreamAccount?: boolean;
  /**
   * Enterprise identity providers (issuer URLs) whose ID-JAGs this server accepts with the JWT bearer grant
   * (enterprise-managed authorization), from clients registered with `gatehouse clients add --enterprise`.
   */
  enterpriseIdps?: string[];
}
