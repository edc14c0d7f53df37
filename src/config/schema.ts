import { z } from 'zod';
import { ASYMMETRIC_ALGORITHMS, MAX_CLOCK_TOLERANCE_SECONDS, SYMMETRIC_ALGORITHMS } from '../resource/jwt.js';
import { isScopeToken } from '../resource/scopes.js';
import { isHttpsOrLoopback } from '../resource/urls.js';
import { FORWARDED_HEADERS, TrustedProxies, TrustProxyError, type ForwardedHeader, type TrustProxyOption } from '../util/trusted-proxies.js';
import { flagName } from './settings.js';

const url = (what: string) =>
  z.string().refine((v) => URL.canParse(v), { message: `must be an absolute URL (${what})` });
const scope = z.string().refine(isScopeToken, { message: 'must be a valid OAuth scope (printable ASCII, no spaces or quotes)' });
const staticIdentity = z.object({
  subject: z.string().min(1),
  scopes: z.array(scope).optional(),
  clientId: z.string().optional(),
  username: z.string().optional(),
  email: z.string().optional(),
});

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

/** Every setting of `gatehouse serve`, from the config file, the environment and flags alike. */
export const configSchema = z
  .object({
    mode: z.enum(['embedded', 'federated', 'resource']).default('embedded'),
    name: z.string().min(1).default('Gatehouse'),
    port: z.coerce.number().int().min(0).max(65535).default(8000),
    host: z.string().min(1).default('127.0.0.1'),
    publicUrl: url('e.g. https://mcp.example.com').optional(),
    mcpPath: z.string().regex(/^\/[A-Za-z0-9\-._~/%]*$/, 'must be a URL path starting with /').default('/mcp'),
    stdio: z.boolean().default(false),
    dataDir: z.string().min(1).default('.gatehouse'),

    issuer: url('the authorization server, e.g. https://auth.example.com').optional(),
    jwksUri: url('e.g. https://auth.example.com/.well-known/jwks.json').optional(),
    publicKeyFile: z.string().min(1).optional(),
    jwtSecret: z.string().min(32, 'must be at least 32 characters').optional(),
    algorithms: z.array(z.enum([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS])).min(1).optional(),
    clockToleranceSeconds: z.coerce.number().int().min(0).max(MAX_CLOCK_TOLERANCE_SECONDS).default(30),
    requireAccessTokenType: z.boolean().default(false),
    introspectionUrl: url('the RFC 7662 endpoint, e.g. https://auth.example.com/oauth/introspect').optional(),
    introspectionClientId: z.string().min(1).optional(),
    introspectionClientSecret: z.string().min(1).optional(),
    introspectionAuthMethod: z.enum(['client_secret_basic', 'client_secret_post']).default('client_secret_basic'),
    introspectionCacheSeconds: z.coerce.number().int().min(0).max(3600).default(60),
    devKeys: z.boolean().default(false),
    dangerouslyStaticTokens: z.record(z.string().min(16, 'static tokens must be at least 16 characters'), staticIdentity).optional(),
    dangerouslyAcceptMissingAudience: z.boolean().default(false),

    store: z.string().min(1).optional(),
    storePrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, and _ . : - only').default('gatehouse'),
    dynamicRegistration: z.boolean().default(true),
    clientMetadataDocuments: z.boolean().default(true),
    redirectPolicy: z.enum(['any-safe', 'allowlist']).default('any-safe'),
    allowedRedirectUris: z.array(z.string().min(1)).default([]),
    authorizationRequestsPerMinute: z.coerce.number().int().min(1).max(1_000_000).default(30),
    presetNameImitation: z.enum(['refuse', 'flag']).default('refuse'),
    registrationsPerHour: z.coerce.number().int().min(1).max(100_000).default(20),
    tokenRequestsPerMinute: z.coerce.number().int().min(1).max(1_000_000).default(120),
    introspectionRequestsPerMinute: z.coerce.number().int().min(1).max(1_000_000).default(1200),
    auditRetentionDays: z.coerce.number().min(1).max(3650).default(90),
    accessTokenTtlSeconds: z.coerce.number().int().min(30).max(86_400).default(600),
    refreshTokenTtlSeconds: z.coerce.number().int().min(300).max(365 * 86_400).default(30 * 86_400),
    dangerouslyAllowLoopbackClientMetadata: z.boolean().default(false),
    dangerouslyAllowHttpIssuer: z.boolean().default(false),
    localLogin: z.boolean().optional(),

    upstream: z.enum(['github', 'google', 'microsoft', 'auth0', 'oidc']).optional(),
    upstreamIssuer: url('the provider, e.g. https://login.example.com (for github: the web URL of GitHub Enterprise Server)').optional(),
    upstreamApiUrl: url('the GitHub API, e.g. https://ghe.example.com/api/v3').optional(),
    upstreamClientId: z.string().min(1).optional(),
    upstreamClientSecret: z.string().min(1).optional(),
    upstreamScopes: z.array(z.string().min(1)).optional(),
    upstreamTenant: z.string().min(1).optional(),
    upstreamAudience: z.string().min(1).optional(),
    upstreamAuthorizeParams: z.record(z.string(), z.string()).optional(),
    upstreamForwardResource: z.boolean().default(false),
    linkByVerifiedEmail: z.boolean().default(false),
    admitUsers: z.array(z.string().min(1)).default([]),
    admitGithubOrgs: z.array(z.string().min(1)).default([]),
    admitGithubTeams: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'teams are <org>/<team-slug>, e.g. acme/platform')).default([]),
    admitHostedDomains: z.array(z.string().min(1)).default([]),
    admitTenants: z.array(z.string().min(1)).default([]),
    admitEmailDomains: z.array(z.string().min(1)).default([]),
    admitExistingAccounts: z.boolean().default(false),
    admissionContact: z.string().min(1).max(200).optional(),
    dangerouslyAllowAnyUpstreamAccount: z.boolean().default(false),

    requiredScopes: z.array(scope).default([]),
    scopeHierarchy: z.record(scope, z.array(scope)).default({}),
    allowedHosts: z.array(z.string().min(1)).default([]),
    allowedOrigins: z.array(url('a browser origin, e.g. http://localhost:6274')).default([]),
    dpopRequired: z.boolean().default(false),
    dpopNonceSecret: z.string().min(32, 'must be at least 32 characters').optional(),
    trustProxy: z.union([z.boolean(), z.number(), z.string(), z.array(z.string())]).default(false).superRefine((value, ctx) => {
      const problem = trustProxyProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    trustProxyHeader: z.enum(FORWARDED_HEADERS as [ForwardedHeader, ...ForwardedHeader[]]).default('x-forwarded-for'),
    maxBodyBytes: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(1024 * 1024),
    toolCallsPerMinute: z.coerce.number().int().min(0).max(1_000_000).default(600),
    headersTimeoutSeconds: z.coerce.number().int().min(1).max(300).default(10),
    requestTimeoutSeconds: z.coerce.number().int().min(1).max(3600).default(30),
    shutdownTimeoutSeconds: z.coerce.number().int().min(0).max(600).default(10),
    metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
    metricsHost: z.string().min(1).default('127.0.0.1'),
    metricsToken: z.string().min(32, 'must be at least 32 characters').optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const need = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (config.headersTimeoutSeconds > config.requestTimeoutSeconds) {
      need('headersTimeoutSeconds', `must not exceed --request-timeout-seconds (${config.requestTimeoutSeconds})`);
    }
    if (config.metricsPort !== undefined && config.metricsPort !== 0 && config.metricsPort === config.port) {
      need('metricsPort', 'must differ from --port (or leave it out and set GATEHOUSE_METRICS_TOKEN to serve /metrics on the main port)');
    }
    if (config.stdio || config.mode === 'embedded') return; // stdio carries no OAuth; embedded mode verifies its own tokens
    if (config.mode === 'federated') {
      if (config.upstream === undefined) need('upstream', 'federated mode needs --upstream github|google|microsoft|auth0|oidc');
      if (config.upstreamClientId === undefined) need('upstreamClientId', "required in federated mode: the client id of the app registered at the provider");
      if (config.upstreamClientSecret === undefined) need('upstreamClientSecret', "required in federated mode: the client secret of the app registered at the provider");
      if ((config.upstream === 'oidc' || config.upstream === 'auth0') && config.upstreamIssuer === undefined) {
        need('upstreamIssuer', `--upstream ${config.upstream} needs the provider's issuer URL, e.g. --upstream-issuer https://login.example.com`);
      }
      if (config.upstream === 'microsoft' && config.upstreamTenant === undefined) need('upstreamTenant', '--upstream microsoft needs your Entra tenant id or domain');
      admissionProblems(config, need);
      for (const key of ['upstreamIssuer', 'upstreamApiUrl'] as const) {
        const value = config[key];
        if (value !== undefined && !isHttpsOrLoopback(new URL(value))) need(key, 'must use https (plain http only for localhost)');
      }
      return;
    }
    const sources = (['jwksUri', 'publicKeyFile', 'jwtSecret', 'introspectionUrl', 'dangerouslyStaticTokens', 'devKeys'] as const).filter(
      (key) => config[key] !== undefined && config[key] !== false,
    );
    if (sources.length === 0) {
      need('jwksUri', 'resource mode needs a way to verify tokens: set --jwks-uri, --introspection-url, --public-key-file or --jwt-secret (or --dev-keys for local development)');
    } else if (sources.length > 1) {
      need(sources[1]!, `choose one way to verify tokens, not several (got ${sources.join(', ')})`);
    }
    const external = sources.some((s) => s === 'jwksUri' || s === 'publicKeyFile' || s === 'jwtSecret' || s === 'introspectionUrl');
    if (external && config.issuer === undefined) {
      need('issuer', 'required in resource mode: the URL of the authorization server that issues the tokens, e.g. --issuer https://auth.example.com');
    }
    if (config.introspectionUrl !== undefined) {
      if (config.introspectionClientId === undefined) need('introspectionClientId', 'required with --introspection-url: the client id this server was given to call the introspection endpoint');
      if (config.introspectionClientSecret === undefined) need('introspectionClientSecret', 'required with --introspection-url: the client secret that goes with GATEHOUSE_INTROSPECTION_CLIENT_ID');
    }
    if (config.algorithms && config.jwtSecret === undefined && config.algorithms.some((a) => a.startsWith('HS'))) {
      need('algorithms', 'HS* algorithms need --jwt-secret; with public keys use RS*, PS*, ES* or EdDSA');
    }
  });

export type GatehouseConfig = z.infer<typeof configSchema>;

/** The settings that say whom federated sign-in admits. */
export const ADMISSION_SETTINGS = ['admitUsers', 'admitGithubOrgs', 'admitGithubTeams', 'admitHostedDomains', 'admitTenants', 'admitEmailDomains', 'admitExistingAccounts'] as const;

/** The admission settings in use. */
function admissionRules(config: GatehouseConfig): string[] {
  return ADMISSION_SETTINGS.filter((key) => (key === 'admitExistingAccounts' ? config[key] : config[key].length > 0));
}

/**
 * What is wrong when `gatehouse serve` would sign people in upstream without saying whom it admits (other
 * commands only open the data, so only serving needs it). Undefined when a policy, or the dangerous flag, is set.
 */
export function missingAdmission(config: GatehouseConfig): string | undefined {
  if (config.mode !== 'federated' || config.stdio || config.dangerouslyAllowAnyUpstreamAccount || admissionRules(config).length) return undefined;
  const flags = ADMISSION_SETTINGS.map((key) => `--${flagName(key)}`);
  return `federated mode admits nobody until you say whom: set ${flags.slice(0, -1).join(', ')} or ${flags.at(-1)} (or --dangerously-allow-any-upstream-account to let anyone with an account at the provider in)`;
}

/** Admission rules must fit the provider. */
function admissionProblems(config: GatehouseConfig, need: (path: string, message: string) => void): void {
  const set = admissionRules(config);
  if (config.dangerouslyAllowAnyUpstreamAccount && set.length) need('dangerouslyAllowAnyUpstreamAccount', `admits anyone; leave it out when admitting by ${set.join(', ')}`);
  const github = config.upstream === 'github';
  if (!github && (config.admitGithubOrgs.length || config.admitGithubTeams.length)) need(config.admitGithubOrgs.length ? 'admitGithubOrgs' : 'admitGithubTeams', 'needs --upstream github');
  if (github && config.admitHostedDomains.length) need('admitHostedDomains', "GitHub has no hosted domains (Google's hd claim); use --admit-github-orgs or --admit-email-domains");
  if (github && config.admitTenants.length) need('admitTenants', "GitHub has no tenants (Microsoft's tid claim); use --admit-github-orgs");
  if (github && (config.admitGithubOrgs.length || config.admitGithubTeams.length) && config.upstreamScopes && !config.upstreamScopes.includes('read:org')) {
    need('upstreamScopes', 'admission by GitHub organisation or team needs the read:org scope: add it to --upstream-scopes (or leave them at the default)');
  }
}
