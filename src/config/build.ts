import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { dangerouslyNoAuth, resource, type AuthMode } from '../resource/auth-mode.js';
import { embedded, type EmbeddedOptions } from '../authserver/embedded.js';
import { federated } from '../authserver/federated.js';
import { github } from '../authserver/upstream/github.js';
import { auth0, google, microsoft, oidc } from '../authserver/upstream/oidc.js';
import type { UpstreamSource } from '../authserver/upstream/source.js';
import { loadOrCreateDevKeys } from '../dev/dev-keys.js';
import { gatehouse, type GatehouseServer } from '../gatehouse.js';
import { ScopePolicy } from '../mcp/scope-policy.js';
import { ToolRegistry } from '../mcp/tool-registry.js';
import { whoamiTool } from '../mcp/whoami.js';
import { introspection } from '../resource/introspection.js';
import { jwt } from '../resource/jwt.js';
import { dangerouslyStaticTokens } from '../resource/static-tokens.js';
import type { TokenVerifier } from '../resource/verifier.js';
import { serverUrls } from '../resource/urls.js';
import { brandLogoFrom } from './brand-logo.js';
import { ConfigError, describeSetting } from './load.js';
import type { GatehouseConfig } from './schema.js';
import { flag, SETTINGS_TABLE } from './settings.js';

/** The public URL the server will have: configured, or derived from the port. */
export function publicUrlOf(config: GatehouseConfig): string {
  return config.publicUrl ?? `http://localhost:${config.port}`;
}

/** The tools `gatehouse serve` offers. */
const SERVED_TOOLS = [whoamiTool];

/** Build the server `gatehouse serve` runs: the configured auth mode and the `whoami` demo tool. */
export async function serverFromConfig(config: GatehouseConfig, logger: Logger): Promise<GatehouseServer> {
  const server = gatehouse({
    name: config.name,
    // Over stdio there is no HTTP layer, so the auth mode is never set up (MCP: no OAuth on stdio).
    auth: config.stdio ? dangerouslyNoAuth() : await authFromConfig(config, logger),
    publicUrl: config.publicUrl,
    mcpPath: config.mcpPath,
    requiredScopes: config.requiredScopes,
    scopeHierarchy: config.scopeHierarchy,
    allowedHosts: config.allowedHosts,
    allowedOrigins: config.allowedOrigins,
    trustProxy: config.trustProxy,
    dpop: { required: config.dpopRequired, ...(config.dpopNonceSecret !== undefined && { nonceSecret: config.dpopNonceSecret }) },
    trustProxyHeader: config.trustProxyHeader,
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      toolCallsPerMinute: config.toolCallsPerMinute,
      headersTimeoutMs: config.headersTimeoutSeconds * 1000,
      requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    },
    metrics: { port: config.metricsPort, host: config.metricsHost, token: config.metricsToken },
    shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
    brand: brandFrom(config),
    ...(config.templatesDir !== undefined && { templatesDir: config.templatesDir }),
    logger,
  });
  for (const tool of SERVED_TOOLS) server.addTool(tool);
  return server;
}

/** The brand settings, or none at all when no brand is configured (the pages then look as they always have). */
function brandFrom(config: GatehouseConfig) {
  const brand = {
    ...(config.brandName !== undefined && { name: config.brandName }),
    ...(config.brandLogo !== undefined && { logo: brandLogoFrom(config.brandLogo) }),
    ...(config.brandColor !== undefined && { color: config.brandColor }),
    ...(config.supportUrl !== undefined && { supportUrl: config.supportUrl }),
  };
  return Object.keys(brand).length ? brand : undefined;
}

/**
 * The scopes the server `gatehouse serve` runs declares for its MCP resource (its tools' and the required ones):
 * what its authorization server grants, and so all an access token for it may carry.
 */
export function servedScopes(config: GatehouseConfig): string[] {
  const tools = new ToolRegistry();
  for (const tool of SERVED_TOOLS) tools.add(tool);
  return new ScopePolicy(tools.scopeMap, config.requiredScopes, config.scopeHierarchy).scopes;
}

async function authFromConfig(config: GatehouseConfig, logger: Logger): Promise<AuthMode> {
  if (config.mode === 'embedded') return embedded(embeddedOptions(config));
  if (config.mode === 'federated') {
    return federated({ ...embeddedOptions(config), ...admissionOptions(config), upstreams: [upstreamFromConfig(config)] });
  }
  if (config.devKeys) {
    const keys = await loadOrCreateDevKeys(config.dataDir);
    const issuer = serverUrls(publicUrlOf(config), config.mcpPath).origin;
    logger.warn('development keys: tokens are minted locally with `gatehouse token`; use an authorization server in production');
    return resource({ authorizationServers: issuer, verifier: jwt({ issuer, publicKey: { keys: [keys.publicJwk] }, algorithms: ['ES256'] }) });
  }
  if (config.dangerouslyStaticTokens) {
    logger.warn('DANGER: static tokens are accepted; anyone holding one is that user. Development only.');
    return resource({
      authorizationServers: config.issuer ?? serverUrls(publicUrlOf(config), config.mcpPath).origin,
      verifier: dangerouslyStaticTokens(config.dangerouslyStaticTokens),
    });
  }
  const issuer = config.issuer!;
  let verifier: TokenVerifier;
  if (config.introspectionUrl) {
    verifier = introspection({
      url: config.introspectionUrl,
      clientId: config.introspectionClientId!,
      clientSecret: config.introspectionClientSecret!,
      authMethod: config.introspectionAuthMethod,
      issuer,
      cacheMaxSeconds: config.introspectionCacheSeconds,
    });
  } else {
    const publicKey = config.publicKeyFile ? readPublicKey(config.publicKeyFile) : undefined;
    try {
      verifier = jwt({
        issuer,
        jwksUri: config.jwksUri,
        publicKey,
        secret: config.jwtSecret,
        algorithms: config.algorithms,
        clockToleranceSeconds: config.clockToleranceSeconds,
        requireAccessTokenType: config.requireAccessTokenType,
      });
    } catch (error) {
      if (!config.publicKeyFile) throw error;
      throw new ConfigError([
        `${describeSetting('publicKeyFile')}: ${config.publicKeyFile} holds no public key that can be read (${(error as Error).message}): ${KEY_FILE_FIX}`,
      ]);
    }
  }
  return resource({ authorizationServers: issuer, verifier, dangerouslyAcceptMissingAudience: config.dangerouslyAcceptMissingAudience });
}

const KEY_FILE_FIX = "give the file holding the issuer's public key: PEM, a JWK or a JWKS";

function readPublicKey(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ConfigError([
      `${describeSetting('publicKeyFile')}: ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${KEY_FILE_FIX}`,
    ]);
  }
  if (!text.startsWith('{')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError([`${describeSetting('publicKeyFile')}: ${path} starts like JSON but is not JSON: ${KEY_FILE_FIX}`]);
  }
}

/** Embedded-mode options from configuration (shared with the CLI commands that open the same data). */
export function embeddedOptions(config: GatehouseConfig): EmbeddedOptions {
  return {
    dataDir: config.dataDir,
    store: config.store,
    storePrefix: config.storePrefix,
    dynamicRegistration: config.dynamicRegistration,
    clientMetadataDocuments: config.clientMetadataDocuments,
    authorizationRequestsPerMinute: config.authorizationRequestsPerMinute,
    registrationsPerHour: config.registrationsPerHour,
    tokenRequestsPerMinute: config.tokenRequestsPerMinute,
    introspectionRequestsPerMinute: config.introspectionRequestsPerMinute,
    auditRetentionDays: config.auditRetentionDays,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    refreshTokenIdleTtlSeconds: config.refreshTokenIdleTtlSeconds,
    clientCredentialsTokenTtlSeconds: config.clientCredentialsTokenTtlSeconds,
    redirectPolicy: { mode: config.redirectPolicy, patterns: config.allowedRedirectUris },
    presetNameImitation: config.presetNameImitation,
    dangerouslyAllowLoopbackClientMetadata: config.dangerouslyAllowLoopbackClientMetadata,
    dangerouslyAllowHttpIssuer: config.dangerouslyAllowHttpIssuer,
    localLogin: config.localLogin,
    linkByVerifiedEmail: config.linkByVerifiedEmail,
    enterpriseIdps: config.enterpriseIdp,
  };
}

/** Whom federated sign-in admits, from the `--admit-*` settings. */
export function admissionOptions(config: GatehouseConfig): Pick<EmbeddedOptions, 'admit' | 'dangerouslyAllowAnyUpstreamAccount'> {
  if (config.dangerouslyAllowAnyUpstreamAccount) return { dangerouslyAllowAnyUpstreamAccount: true };
  return {
    admit: {
      users: config.admitUsers,
      githubOrgs: config.admitGithubOrgs,
      githubTeams: config.admitGithubTeams,
      hostedDomains: config.admitHostedDomains,
      tenants: config.admitTenants,
      emailDomains: config.admitEmailDomains,
      existingAccounts: config.admitExistingAccounts,
      ...(config.admissionContact && { contact: config.admissionContact }),
    },
  };
}

/** The upstream provider of `--mode federated --upstream …`. */
export function upstreamFromConfig(config: GatehouseConfig): UpstreamSource {
  // Membership lists need read:org; asked for only when admission looks at them.
  const byMembership = config.admitGithubOrgs.length > 0 || config.admitGithubTeams.length > 0;
  const scopes = config.upstreamScopes ?? (config.upstream === 'github' && byMembership ? ['read:user', 'user:email', 'read:org'] : undefined);
  const common = {
    clientId: config.upstreamClientId!,
    clientSecret: config.upstreamClientSecret!,
    ...(scopes && { scopes }),
    ...(config.upstreamAuthorizeParams && { extraAuthorizeParams: config.upstreamAuthorizeParams }),
    forwardResource: config.upstreamForwardResource,
  };
  switch (config.upstream) {
    case 'github':
      return github({ ...common, webUrl: config.upstreamIssuer, apiUrl: config.upstreamApiUrl });
    case 'google':
      return google(common);
    case 'microsoft':
      return microsoft({ ...common, tenant: config.upstreamTenant! });
    case 'auth0':
      return auth0({ ...common, issuer: config.upstreamIssuer!, audience: config.upstreamAudience });
    case 'oidc':
      return oidc({ ...common, issuer: config.upstreamIssuer! });
    default:
      throw new ConfigError([`federated mode needs ${flag('upstream')} ${SETTINGS_TABLE.upstream.unwrap().options.join('|')}`]);
  }
}
