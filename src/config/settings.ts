/**
 * How each setting is spelled on the command line and in the environment. Flags are derived from the
 * config key (`publicUrl` → `--public-url`) and every flag has an environment variable (`GATEHOUSE_PUBLIC_URL`).
 */
/** `boolean-or-value`: a flag that may stand alone (true) or take a value (`--trust-proxy`, `--trust-proxy 10.0.0.0/8`). */
export type SettingKind = 'string' | 'number' | 'boolean' | 'boolean-or-value' | 'list' | 'json';

export interface Setting {
  key: string;
  kind: SettingKind;
  description: string;
  /** Not offered as a flag: secrets belong in the environment or the config file, not in `ps` output. */
  envOnly?: boolean;
}

export const SETTINGS: readonly Setting[] = [
  { key: 'mode', kind: 'string', description: 'embedded (default: built-in authorization server), federated (sign-in at an upstream provider) or resource (tokens from an external server)' },
  { key: 'name', kind: 'string', description: 'server name shown to clients' },
  { key: 'port', kind: 'number', description: 'port to listen on (default 8000)' },
  { key: 'host', kind: 'string', description: 'address to bind (default 127.0.0.1)' },
  { key: 'publicUrl', kind: 'string', description: 'URL clients use to reach this server, e.g. behind a tunnel (default http://localhost:<port>)' },
  { key: 'mcpPath', kind: 'string', description: 'path of the MCP endpoint (default /mcp)' },
  { key: 'stdio', kind: 'boolean', description: 'serve MCP over stdio instead of HTTP (no OAuth on stdio)' },
  { key: 'dataDir', kind: 'string', description: 'directory for keys and data (default ./.gatehouse)' },
  { key: 'issuer', kind: 'string', description: 'the authorization server that issues tokens (its exact issuer URL)' },
  { key: 'jwksUri', kind: 'string', description: "the issuer's JWKS URL" },
  { key: 'publicKeyFile', kind: 'string', description: "a file with the issuer's PEM public key, JWK or JWK Set" },
  { key: 'jwtSecret', kind: 'string', description: 'HS256 shared secret', envOnly: true },
  { key: 'algorithms', kind: 'list', description: 'accepted JWT algorithms, comma-separated' },
  { key: 'clockToleranceSeconds', kind: 'number', description: 'allowed clock skew for exp/nbf, 0-60 (default 30)' },
  { key: 'requireAccessTokenType', kind: 'boolean', description: 'accept only typ=at+jwt tokens (RFC 9068)' },
  { key: 'introspectionUrl', kind: 'string', description: 'RFC 7662 introspection endpoint' },
  { key: 'introspectionClientId', kind: 'string', description: 'client id for the introspection endpoint' },
  { key: 'introspectionClientSecret', kind: 'string', description: 'client secret for the introspection endpoint', envOnly: true },
  { key: 'introspectionAuthMethod', kind: 'string', description: 'client_secret_basic (default) or client_secret_post' },
  { key: 'introspectionCacheSeconds', kind: 'number', description: 'longest an introspection answer is reused (default 60)' },
  { key: 'devKeys', kind: 'boolean', description: 'trust a signing key generated in the data directory; mint tokens with `gatehouse token`' },
  { key: 'dangerouslyStaticTokens', kind: 'json', description: 'fixed tokens for development, as JSON', envOnly: true },
  { key: 'dangerouslyAcceptMissingAudience', kind: 'boolean', description: 'accept tokens with no aud claim' },
  { key: 'store', kind: 'string', description: 'storage: sqlite:<path> (default <data-dir>/gatehouse.db), redis://host:port[/db] (replicas), or memory:' },
  { key: 'storePrefix', kind: 'string', description: 'key prefix in a shared Redis store (default gatehouse)' },
  { key: 'dynamicRegistration', kind: 'boolean', description: 'let clients register themselves (default true)' },
  { key: 'clientMetadataDocuments', kind: 'boolean', description: 'accept Client ID Metadata Documents (default true)' },
  { key: 'redirectPolicy', kind: 'string', description: 'any-safe (default) or allowlist (presets and --allowed-redirect-uris only)' },
  { key: 'allowedRedirectUris', kind: 'list', description: 'extra redirect URI patterns for the allowlist, comma-separated' },
  { key: 'authorizationRequestsPerMinute', kind: 'number', description: 'authorization requests (GET/POST /auth) per client address per minute (default 30)' },
  { key: 'presetNameImitation', kind: 'string', description: "refuse (default) or flag a registration named like a preset (e.g. 'Claude Code') whose redirect URIs are not that app's" },
  { key: 'registrationsPerHour', kind: 'number', description: 'dynamic registrations per client address per hour (default 20)' },
  { key: 'tokenRequestsPerMinute', kind: 'number', description: 'token and revocation requests per client address per minute (default 120)' },
  { key: 'introspectionRequestsPerMinute', kind: 'number', description: 'introspection requests per client address per minute (default 1200)' },
  { key: 'auditRetentionDays', kind: 'number', description: 'how long audit events are kept, in days (default 90)' },
  { key: 'accessTokenTtlSeconds', kind: 'number', description: 'access token lifetime (default 600)' },
  { key: 'refreshTokenTtlSeconds', kind: 'number', description: 'refresh token lifetime (default 30 days)' },
  { key: 'dangerouslyAllowLoopbackClientMetadata', kind: 'boolean', description: 'fetch client metadata documents and jwks_uri from loopback/private addresses and over http (development only)' },
  { key: 'dangerouslyAllowHttpIssuer', kind: 'boolean', description: 'serve the authorization server over plain http on a non-localhost public URL (closed test networks only)' },
  { key: 'localLogin', kind: 'boolean', description: 'let local accounts sign in with a password (default: on in embedded mode, off in federated mode)' },
  { key: 'upstream', kind: 'string', description: 'federated mode: github, google, microsoft, auth0 or oidc' },
  { key: 'upstreamIssuer', kind: 'string', description: 'the upstream issuer URL (oidc, auth0; for github: a GitHub Enterprise Server URL)' },
  { key: 'upstreamApiUrl', kind: 'string', description: 'the GitHub REST API URL (default https://api.github.com)' },
  { key: 'upstreamClientId', kind: 'string', description: 'client id of the app registered at the upstream provider' },
  { key: 'upstreamClientSecret', kind: 'string', description: 'client secret of the app registered at the upstream provider', envOnly: true },
  { key: 'upstreamScopes', kind: 'list', description: 'scopes to ask the upstream provider for, comma-separated (each provider has defaults)' },
  { key: 'upstreamTenant', kind: 'string', description: 'Microsoft Entra tenant id or domain' },
  { key: 'upstreamAudience', kind: 'string', description: 'Auth0 API audience for upstream access tokens' },
  { key: 'upstreamAuthorizeParams', kind: 'json', description: "extra parameters for the upstream authorization request, as JSON" },
  { key: 'upstreamForwardResource', kind: 'boolean', description: "pass the MCP client's resource parameter on to the upstream provider (default false)" },
  { key: 'linkByVerifiedEmail', kind: 'boolean', description: 'sign an upstream identity in to the existing account with the same verified email (default false)' },
  { key: 'admitUsers', kind: 'list', description: 'federated mode: admit these people, comma-separated: GitHub logins or ids, OpenID subjects, or verified emails (<source>:<value> for one provider only)' },
  { key: 'admitGithubOrgs', kind: 'list', description: 'federated mode: admit members of these GitHub organisations, comma-separated (asks GitHub for read:org)' },
  { key: 'admitGithubTeams', kind: 'list', description: 'federated mode: admit members of these GitHub teams, as org/team-slug, comma-separated (asks GitHub for read:org)' },
  { key: 'admitHostedDomains', kind: 'list', description: "federated mode: admit Google Workspace accounts of these domains (the ID token's hd claim), comma-separated" },
  { key: 'admitTenants', kind: 'list', description: "federated mode: admit Microsoft Entra accounts of these tenant ids (the ID token's tid claim), comma-separated" },
  { key: 'admitEmailDomains', kind: 'list', description: 'federated mode: admit people whose provider-verified email is at these domains, comma-separated' },
  { key: 'admitExistingAccounts', kind: 'boolean', description: 'federated mode: admit people who already have an account here (invitation only; nobody new is created)' },
  { key: 'admissionContact', kind: 'string', description: 'whom a refused person should ask for access, shown on the refusal page' },
  { key: 'dangerouslyAllowAnyUpstreamAccount', kind: 'boolean', description: 'federated mode: admit anyone with an account at the provider (no admission policy)' },
  { key: 'requiredScopes', kind: 'list', description: 'scopes every request needs, comma-separated' },
  { key: 'scopeHierarchy', kind: 'json', description: 'broad scopes and the scopes they imply, as JSON' },
  { key: 'allowedHosts', kind: 'list', description: 'extra Host names to accept, comma-separated' },
  { key: 'allowedOrigins', kind: 'list', description: 'browser origins allowed to call MCP, comma-separated' },
  { key: 'dpopRequired', kind: 'boolean', description: 'accept only DPoP-bound tokens with a proof (RFC 9449); bearer tokens are refused' },
  { key: 'dpopNonceSecret', kind: 'string', description: 'require server-provided DPoP nonces made from this secret (≥ 32 characters, the same on every replica)', envOnly: true },
  { key: 'trustProxy', kind: 'boolean-or-value', description: "believe forwarded headers from proxies you run: their addresses/CIDR ranges (e.g. 10.0.0.0/8,::1) or a hop count (alone: 1 hop); the client's address is the right-most entry that is not a trusted proxy (default off)" },
  { key: 'trustProxyHeader', kind: 'string', description: "the header your proxies write the client's address into: x-forwarded-for (default) or forwarded (RFC 7239)" },
  { key: 'maxBodyBytes', kind: 'number', description: 'largest request body at the MCP endpoint, in bytes (default 1048576); other endpoints take 64 KiB' },
  { key: 'toolCallsPerMinute', kind: 'number', description: 'MCP tool calls per user per minute, shared by replicas on one store; 0 turns it off (default 600)' },
  { key: 'headersTimeoutSeconds', kind: 'number', description: 'time a client gets to send its request headers (default 10)' },
  { key: 'requestTimeoutSeconds', kind: 'number', description: 'time a client gets to send its whole request (default 30)' },
  { key: 'shutdownTimeoutSeconds', kind: 'number', description: 'on SIGTERM/SIGINT, how long requests in progress may take to finish (default 10)' },
  { key: 'metricsPort', kind: 'number', description: 'serve Prometheus metrics at /metrics on this port (default: no metrics port)' },
  { key: 'metricsHost', kind: 'string', description: 'address the metrics port binds to (default 127.0.0.1)' },
  { key: 'metricsToken', kind: 'string', description: 'serve /metrics on the main port to requests with Authorization: Bearer <token> (32+ characters)', envOnly: true },
  { key: 'logLevel', kind: 'string', description: 'fatal, error, warn, info (default), debug, trace or silent' },
];

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(key: string): string {
  return `GATEHOUSE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Turn a raw string (from the environment or a flag) into the shape the schema expects. */
export function parseSettingValue(setting: Setting, raw: string): unknown {
  switch (setting.kind) {
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return raw; // let the schema report it
    case 'boolean-or-value':
      if (/^(true|yes|on)$/i.test(raw)) return true;
      if (/^(false|no|off)$/i.test(raw)) return false;
      return raw; // a value for the schema to read (a number of hops is read there too)
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}
