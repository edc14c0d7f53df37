/**
 * How each setting is spelled on the command line and in the environment. Flags are derived from the
 * config key (`publicUrl` → `--public-url`) and every flag has an environment variable (`GATEHOUSE_PUBLIC_URL`).
 */
export type SettingKind = 'string' | 'number' | 'boolean' | 'list' | 'json';

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
  { key: 'requiredScopes', kind: 'list', description: 'scopes every request needs, comma-separated' },
  { key: 'scopeHierarchy', kind: 'json', description: 'broad scopes and the scopes they imply, as JSON' },
  { key: 'allowedHosts', kind: 'list', description: 'extra Host names to accept, comma-separated' },
  { key: 'allowedOrigins', kind: 'list', description: 'browser origins allowed to call MCP, comma-separated' },
  { key: 'trustProxy', kind: 'boolean', description: 'trust X-Forwarded-Host/-For from a proxy you run' },
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
