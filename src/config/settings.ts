import { z } from 'zod';
import { BRAND_COLOR } from '../authserver/web/brand.js';
import { EMBEDDED_DEFAULTS } from '../authserver/engine/defaults.js';
import { DEFAULT_LIMITS } from '../http/limits.js';
import { LISTEN_DEFAULTS } from '../http/listen.js';
import { DEFAULT_INTROSPECTION_CACHE_SECONDS } from '../resource/introspection.js';
import { ASYMMETRIC_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS, SYMMETRIC_ALGORITHMS } from '../resource/jwt.js';
import { isScopeToken } from '../resource/scopes.js';
import { publicUrlProblem } from './public-url.js';
import { DEFAULT_MCP_PATH, isHttpsOrLoopback } from '../resource/urls.js';
import { DEFAULT_KEY_PREFIX } from '../store/redis/keys.js';
import { FORWARDED_HEADERS, TrustedProxies, TrustProxyError, type ForwardedHeader, type TrustProxyOption } from '../util/trusted-proxies.js';

declare module 'zod' {
  interface GlobalMeta {
    /** Not offered as a flag: secrets belong in the environment or the config file, not in `ps` output. */
    envOnly?: boolean;
    /** A flag that may stand alone (true) or take a value (`--trust-proxy`, `--trust-proxy 10.0.0.0/8`). */
    flagValueOptional?: boolean;
    /** The default in words, for a setting whose default is worked out when the server starts. */
    defaultText?: string;
    /** A second spelling of the flag, without the leading dashes (`access-token-ttl`). */
    flagAlias?: string;
  }
}

const url = (what: string) => z.string().refine((v) => URL.canParse(v), { message: `must be an absolute URL (${what})` });
const scope = z.string().refine(isScopeToken, { message: 'must be a valid OAuth scope (printable ASCII, no spaces or quotes)' });
const staticIdentity = z.object({
  subject: z.string().min(1),
  scopes: z.array(scope).optional(),
  clientId: z.string().optional(),
  username: z.string().optional(),
  email: z.string().optional(),
});
const seconds = (ms: number) => ms / 1000;

/** Why a trustProxy value cannot be used, with the fix, or `undefined` when it can. */
function trustProxyProblem(value: TrustProxyOption): string | undefined {
  try {
    TrustedProxies.from(value);
    return undefined;
  } catch (error) {
    if (error instanceof TrustProxyError) return `${error.message}; give the proxies' addresses or CIDR ranges (e.g. 10.0.0.0/8,::1) or a hop count (e.g. 1)`;
    throw error;
  }
}

/**
 * Every setting of `gatehouse serve`, written once: its name (the key; the flag and the environment variable
 * are spelled from it), its validation and default, and its description. The config schema, the flags and
 * `--help`, the config errors and the README's table are all derived from this table. Defaults the library
 * applies itself are read from the library (`EMBEDDED_DEFAULTS`, `DEFAULT_LIMITS`, `LISTEN_DEFAULTS`, …), never repeated here.
 */
export const SETTINGS_TABLE = {
  mode: z
    .enum(['embedded', 'federated', 'resource'])
    .default('embedded')
    .describe('embedded (built-in authorization server), federated (sign-in at an upstream provider) or resource (tokens from an external server)'),
  name: z.string().min(1).default('Gatehouse').describe('server name shown to clients'),
  brandName: z.string().min(1).max(100).optional().describe("your brand's name, shown in every page's header and title beside the server's name"),
  brandLogo: z
    .string()
    .min(1)
    .refine((v) => !URL.canParse(v) || new URL(v).protocol === 'https:', { message: 'must be an https URL or a file path (png, svg or jpeg, at most 100 KiB)' })
    .optional()
    .describe('your logo on every page: an https URL, or a png, svg or jpeg file (at most 100 KiB) inlined when the server starts'),
  brandColor: z
    .string()
    .regex(BRAND_COLOR, 'must be a CSS hex colour such as #1f5fbf')
    .optional()
    .describe('your colour for buttons and page headers, a CSS hex colour such as #1f5fbf'),
  supportUrl: z
    .string()
    .refine((v) => URL.canParse(v) && ['https:', 'mailto:'].includes(new URL(v).protocol), { message: 'must be an https or mailto: URL' })
    .optional()
    .describe('where people get help: an https or mailto: URL, linked as "Need help?" on every page'),
  templatesDir: z
    .string()
    .min(1)
    .optional()
    .describe('a directory of Mustache templates (login.html, consent.html, layout.html…) replacing those pages, read when the server starts'),
  port: z.coerce.number().int().min(0).max(65535).default(LISTEN_DEFAULTS.port).describe('port to listen on'),
  host: z.string().min(1).default(LISTEN_DEFAULTS.host).describe('address to bind'),
  publicUrl: z
    .string()
    .superRefine((value, ctx) => {
      const problem = publicUrlProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .meta({
      description: 'URL clients use to reach this server, e.g. behind a tunnel or reverse proxy; every published URL derives from it',
      defaultText: 'http://localhost:<port>',
    }),
  mcpPath: z
    .string()
    .regex(/^\/[A-Za-z0-9\-._~/%]*$/, 'must be a URL path starting with /')
    .default(DEFAULT_MCP_PATH)
    .describe('path of the MCP endpoint'),
  stdio: z.boolean().default(false).describe('serve MCP over stdio instead of HTTP (no OAuth on stdio)'),
  dataDir: z.string().min(1).default(EMBEDDED_DEFAULTS.dataDir).describe('directory for keys and data'),

  issuer: url('the authorization server, e.g. https://auth.example.com')
    .optional()
    .describe('the authorization server that issues tokens (its exact issuer URL)'),
  jwksUri: url('e.g. https://auth.example.com/.well-known/jwks.json').optional().describe("the issuer's JWKS URL"),
  publicKeyFile: z.string().min(1).optional().describe("a file with the issuer's PEM public key, JWK or JWK Set"),
  jwtSecret: z.string().min(32, 'must be at least 32 characters').optional().meta({ description: 'HS256 shared secret', envOnly: true }),
  algorithms: z
    .array(z.enum([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS]))
    .min(1)
    .optional()
    .meta({ description: 'accepted JWT algorithms, comma-separated', defaultText: 'all asymmetric' }),
  clockToleranceSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_CLOCK_TOLERANCE_SECONDS)
    .default(DEFAULT_CLOCK_TOLERANCE_SECONDS)
    .describe(`allowed clock skew for exp/nbf, 0-${MAX_CLOCK_TOLERANCE_SECONDS}`),
  requireAccessTokenType: z.boolean().default(false).describe('accept only typ=at+jwt tokens (RFC 9068)'),
  introspectionUrl: url('the RFC 7662 endpoint, e.g. https://auth.example.com/oauth/introspect').optional().describe('RFC 7662 introspection endpoint'),
  introspectionClientId: z.string().min(1).optional().describe('client id for the introspection endpoint'),
  introspectionClientSecret: z.string().min(1).optional().meta({ description: 'client secret for the introspection endpoint', envOnly: true }),
  introspectionAuthMethod: z
    .enum(['client_secret_basic', 'client_secret_post'])
    .default('client_secret_basic')
    .describe('client_secret_basic or client_secret_post'),
  introspectionCacheSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(DEFAULT_INTROSPECTION_CACHE_SECONDS)
    .describe('longest an introspection answer is reused'),
  devKeys: z.boolean().default(false).describe('trust a signing key generated in the data directory; mint tokens with `gatehouse token`'),
  dangerouslyStaticTokens: z
    .record(z.string().min(16, 'static tokens must be at least 16 characters'), staticIdentity)
    .optional()
    .meta({ description: 'fixed tokens for development, as JSON', envOnly: true }),
  dangerouslyAcceptMissingAudience: z.boolean().default(false).describe('accept tokens with no aud claim'),

  store: z.string().min(1).optional().meta({
    description: 'storage: sqlite:<path>, redis://host:port[/db] or postgres://user@host:port/db (replicas), or memory:',
    defaultText: 'sqlite:<data-dir>/gatehouse.db',
  }),
  storePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, and _ . : - only')
    .default(DEFAULT_KEY_PREFIX)
    .describe('namespace in a shared store: the key prefix (and Cluster hash tag) in Redis, the schema in PostgreSQL'),
  dynamicRegistration: z.boolean().default(EMBEDDED_DEFAULTS.dynamicRegistration).describe('let clients register themselves'),
  clientMetadataDocuments: z.boolean().default(EMBEDDED_DEFAULTS.clientMetadataDocuments).describe('accept Client ID Metadata Documents'),
  redirectPolicy: z.enum(['any-safe', 'allowlist']).default('any-safe').describe('any-safe or allowlist (presets and --allowed-redirect-uris only)'),
  allowedRedirectUris: z.array(z.string().min(1)).default([]).describe('extra redirect URI patterns for the allowlist, comma-separated'),
  authorizationRequestsPerMinute: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(EMBEDDED_DEFAULTS.authorizationRequestsPerMinute)
    .describe('authorization requests (GET/POST /auth) per client address per minute'),
  presetNameImitation: z
    .enum(['refuse', 'flag'])
    .default('refuse')
    .describe(
      "a dynamic registration named like a preset (e.g. 'Claude Code', in any case, spacing or look-alike letters) whose redirect URIs are not that app's: refuse (invalid_client_metadata) or flag (registered, with a warning on the consent page)",
    ),
  registrationsPerHour: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(EMBEDDED_DEFAULTS.registrationsPerHour)
    .describe('dynamic registrations per client address per hour'),
  tokenRequestsPerMinute: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(EMBEDDED_DEFAULTS.tokenRequestsPerMinute)
    .describe('token and revocation requests per client address per minute'),
  introspectionRequestsPerMinute: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(EMBEDDED_DEFAULTS.introspectionRequestsPerMinute)
    .describe('introspection requests per client address per minute'),
  auditRetentionDays: z.coerce.number().min(1).max(3650).default(EMBEDDED_DEFAULTS.auditRetentionDays).describe('how long audit events are kept, in days'),
  accessTokenTtlSeconds: z.coerce
    .number()
    .int()
    .min(30)
    .max(86_400)
    .default(EMBEDDED_DEFAULTS.accessTokenTtlSeconds)
    .meta({ description: 'access token lifetime, in seconds', flagAlias: 'access-token-ttl' }),
  clientCredentialsTokenTtlSeconds: z.coerce
    .number()
    .int()
    .min(30)
    .max(86_400)
    .optional()
    .meta({ description: 'lifetime of access tokens machine clients get (client_credentials), in seconds', defaultText: 'the access token lifetime' }),
  refreshTokenTtlSeconds: z.coerce
    .number()
    .int()
    .min(300)
    .max(365 * 86_400)
    .default(EMBEDDED_DEFAULTS.refreshTokenTtlSeconds)
    .describe('absolute refresh token lifetime, in seconds: how long a sign-in lasts however often its tokens are refreshed'),
  refreshTokenIdleTtlSeconds: z.coerce
    .number()
    .int()
    .min(300)
    .max(365 * 86_400)
    .optional()
    .meta({ description: 'idle refresh token lifetime, in seconds: a refresh token unused this long expires', defaultText: 'the absolute lifetime' }),
  dangerouslyAllowLoopbackClientMetadata: z
    .boolean()
    .default(false)
    .describe('fetch client metadata documents and jwks_uri from loopback/private addresses and over http (development only)'),
  dangerouslyAllowHttpIssuer: z
    .boolean()
    .default(false)
    .describe('serve the authorization server over plain http on a non-localhost public URL (closed test networks only)'),
  localLogin: z
    .boolean()
    .optional()
    .meta({ description: 'let local accounts sign in with a password', defaultText: 'on in embedded mode, off in federated mode' }),

  upstream: z.enum(['github', 'google', 'microsoft', 'auth0', 'oidc']).optional().describe('federated mode: github, google, microsoft, auth0 or oidc'),
  upstreamIssuer: url('the provider, e.g. https://login.example.com (for github: the web URL of GitHub Enterprise Server)')
    .optional()
    .describe('the upstream issuer URL (oidc, auth0; for github: a GitHub Enterprise Server URL)'),
  upstreamApiUrl: url('the GitHub API, e.g. https://ghe.example.com/api/v3')
    .optional()
    .meta({ description: 'the GitHub REST API URL (GitHub Enterprise Server)', defaultText: 'https://api.github.com' }),
  upstreamClientId: z.string().min(1).optional().describe('client id of the app registered at the upstream provider'),
  upstreamClientSecret: z.string().min(1).optional().meta({ description: 'client secret of the app registered at the upstream provider', envOnly: true }),
  upstreamScopes: z
    .array(z.string().min(1))
    .optional()
    .meta({ description: 'scopes to ask the upstream provider for, comma-separated', defaultText: "the provider's own" }),
  upstreamTenant: z.string().min(1).optional().describe('Microsoft Entra tenant id or domain'),
  upstreamAudience: z.string().min(1).optional().describe('Auth0 API audience for upstream access tokens'),
  upstreamAuthorizeParams: z.record(z.string(), z.string()).optional().describe('extra parameters for the upstream authorization request, as JSON'),
  upstreamForwardResource: z.boolean().default(false).describe("pass the MCP client's resource parameter on to the upstream provider"),
  linkByVerifiedEmail: z.boolean().default(false).describe('sign an upstream or enterprise identity in to the existing account with the same verified email'),
  enterpriseIdp: z
    .array(
      url('an identity provider issuer, e.g. https://acme.okta.com').refine((v) => !URL.canParse(v) || isHttpsOrLoopback(new URL(v)), {
        message: 'must use https (plain http only for localhost)',
      }),
    )
    .default([])
    .describe(
      'trust ID-JAGs from this enterprise identity provider (issuer URL; repeat the flag or separate with commas) for the JWT bearer grant of clients added with --enterprise',
    ),
  admitUsers: z
    .array(z.string().min(1))
    .default([])
    .describe(
      'federated mode: admit these people, comma-separated: GitHub logins or ids, OpenID subjects, or verified emails (<source>:<value> for one provider only)',
    ),
  admitGithubOrgs: z
    .array(z.string().min(1))
    .default([])
    .describe('federated mode: admit members of these GitHub organisations, comma-separated (asks GitHub for read:org)'),
  admitGithubTeams: z
    .array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'teams are <org>/<team-slug>, e.g. acme/platform'))
    .default([])
    .describe('federated mode: admit members of these GitHub teams, as org/team-slug, comma-separated (asks GitHub for read:org)'),
  admitHostedDomains: z
    .array(z.string().min(1))
    .default([])
    .describe("federated mode: admit Google Workspace accounts of these domains (the ID token's hd claim), comma-separated"),
  admitTenants: z
    .array(z.string().min(1))
    .default([])
    .describe("federated mode: admit Microsoft Entra accounts of these tenant ids (the ID token's tid claim), comma-separated"),
  admitEmailDomains: z
    .array(z.string().min(1))
    .default([])
    .describe('federated mode: admit people whose provider-verified email is at these domains, comma-separated'),
  admitExistingAccounts: z
    .boolean()
    .default(false)
    .describe('federated mode: admit people who already have an account here (invitation only; nobody new is created)'),
  admissionContact: z.string().min(1).max(200).optional().describe('whom a refused person should ask for access, shown on the refusal page'),
  dangerouslyAllowAnyUpstreamAccount: z.boolean().default(false).describe('federated mode: admit anyone with an account at the provider (no admission policy)'),

  requiredScopes: z.array(scope).default([]).describe('scopes every request needs, comma-separated'),
  scopeHierarchy: z.record(scope, z.array(scope)).default({}).describe('broad scopes and the scopes they imply, as JSON'),
  allowedHosts: z.array(z.string().min(1)).default([]).describe('extra Host names to accept, comma-separated'),
  allowedOrigins: z.array(url('a browser origin, e.g. http://localhost:6274')).default([]).describe('browser origins allowed to call MCP, comma-separated'),
  dpopRequired: z.boolean().default(false).describe('accept only DPoP-bound tokens with a proof (RFC 9449); bearer tokens are refused'),
  dpopNonceSecret: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .meta({ description: 'require server-provided DPoP nonces made from this secret (≥ 32 characters, the same on every replica)', envOnly: true }),
  trustProxy: z
    .union([z.boolean(), z.number(), z.string(), z.array(z.string())])
    .default(false)
    .superRefine((value, ctx) => {
      const problem = trustProxyProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({
      description:
        "believe forwarded headers from proxies you run: their addresses/CIDR ranges (e.g. 10.0.0.0/8,::1) or a hop count (alone: 1 hop); the client's address is the right-most entry that is not a trusted proxy",
      flagValueOptional: true,
    }),
  trustProxyHeader: z
    .enum(FORWARDED_HEADERS as [ForwardedHeader, ...ForwardedHeader[]])
    .default('x-forwarded-for')
    .describe("the header your proxies write the client's address into: x-forwarded-for or forwarded (RFC 7239)"),
  maxBodyBytes: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(DEFAULT_LIMITS.maxBodyBytes)
    .describe(`largest request body at the MCP endpoint, in bytes; other endpoints take ${DEFAULT_LIMITS.maxFormBodyBytes / 1024} KiB`),
  toolCallsPerMinute: z.coerce
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(DEFAULT_LIMITS.toolCallsPerMinute)
    .describe('MCP tool calls per user per minute, shared by replicas on one store; 0 turns it off'),
  headersTimeoutSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(300)
    .default(seconds(DEFAULT_LIMITS.headersTimeoutMs))
    .describe('time a client gets to send its request headers'),
  requestTimeoutSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600)
    .default(seconds(DEFAULT_LIMITS.requestTimeoutMs))
    .describe('time a client gets to send its whole request'),
  shutdownTimeoutSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(600)
    .default(seconds(LISTEN_DEFAULTS.shutdownTimeoutMs))
    .describe('on SIGTERM/SIGINT, how long requests in progress may take to finish'),
  metricsPort: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .optional()
    .meta({ description: 'serve Prometheus metrics at /metrics on this port', defaultText: 'no metrics port' }),
  metricsHost: z.string().min(1).default(LISTEN_DEFAULTS.host).describe('address the metrics port binds to'),
  metricsToken: z
    .string()
    .min(32, 'must be at least 32 characters')
    .optional()
    .meta({ description: 'serve /metrics on the main port to requests with Authorization: Bearer <token> (32+ characters)', envOnly: true }),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('fatal, error, warn, info, debug, trace or silent'),
  logFormat: z
    .enum(['auto', 'pretty', 'json'])
    .default('auto')
    .describe('log lines: pretty (readable) or json; auto is pretty when the log goes to a terminal, json otherwise'),
};

export type SettingKey = keyof typeof SETTINGS_TABLE;

/** How a setting's raw text (a flag or an environment variable) is read. */
export type SettingKind = 'string' | 'number' | 'boolean' | 'boolean-or-value' | 'list' | 'json';

/** One row of the table, as the CLI, the loader and the docs read it. */
export interface Setting {
  key: SettingKey;
  kind: SettingKind;
  description: string;
  /** The default as the docs show it; `undefined` when there is none. */
  defaultText: string | undefined;
  envOnly: boolean;
  /** A switch that is on, or may be, unless turned off: it also has a `--no-<flag>`. */
  negatable: boolean;
  /** A second spelling of the flag (without dashes), when it has one. */
  flagAlias?: string;
}

type AnySchema = z.ZodType;

/** The schema under `.optional()`/`.default()`: what kind of value the setting holds. */
function inner(schema: AnySchema): AnySchema {
  const def = schema.def as { type: string; innerType?: AnySchema };
  return (def.type === 'default' || def.type === 'optional') && def.innerType ? inner(def.innerType) : schema;
}

function kindOf(schema: AnySchema): SettingKind {
  if (schema.meta()?.flagValueOptional) return 'boolean-or-value';
  switch (inner(schema).def.type) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'array':
      return 'list';
    case 'record':
      return 'json';
    default:
      return 'string';
  }
}

function defaultTextOf(key: string, schema: AnySchema): string | undefined {
  const text = schema.meta()?.defaultText;
  if (text !== undefined) return text;
  const def = schema.def as { type: string; defaultValue?: unknown };
  if (def.type !== 'default') return undefined;
  const value = def.defaultValue;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.length ? value.join(',') : 'none';
  if (typeof value === 'number' && key.endsWith('Seconds') && value >= 86_400 && value % 86_400 === 0) return `${value} = ${value / 86_400} days`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The table as rows, in its order. */
export const SETTINGS: readonly Setting[] = (Object.entries(SETTINGS_TABLE) as Array<[SettingKey, AnySchema]>).map(([key, schema]) => {
  const description = schema.description;
  if (!description) throw new Error(`setting ${key} has no description`);
  const kind = kindOf(schema);
  const negatable = kind === 'boolean' && schema.safeParse(undefined).data !== false;
  const flagAlias = schema.meta()?.flagAlias;
  return {
    key,
    kind,
    description,
    defaultText: defaultTextOf(key, schema),
    envOnly: schema.meta()?.envOnly ?? false,
    negatable,
    ...(flagAlias !== undefined && { flagAlias }),
  };
});

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(key: string): string {
  return `GATEHOUSE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * How a message tells the reader to set a setting: its flag (`--public-url`), or its environment variable for
 * a setting that has no flag (`GATEHOUSE_JWT_SECRET`).
 */
export function flag(key: SettingKey): string {
  return SETTINGS_TABLE[key].meta()?.envOnly ? envName(key) : `--${flagName(key)}`;
}

/** The default of a setting that has one, for commands that read it outside the schema. */
export function defaultOf<K extends SettingKey>(key: K): z.output<(typeof SETTINGS_TABLE)[K]> {
  return SETTINGS_TABLE[key].parse(undefined) as z.output<(typeof SETTINGS_TABLE)[K]>;
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
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
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
