import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { RequestObserver, ScopeInfo } from '../resource/auth-mode.js';
import type { TokenVerifier } from '../resource/verifier.js';
import type { Store } from '../store/contract/store.js';
import { serverIdentities, type ServerUrls } from '../resource/urls.js';
import type { GuardedFetch } from '../util/guarded-fetch.js';
import { OUTBOUND_FETCH_LIMITS } from '../util/guarded-fetch.js';
import type { TrustedProxies } from '../util/trusted-proxies.js';
import type { AuditLog } from '../audit/audit-log.js';
import { mountAccountPages } from './flows/account-pages.js';
import type { SignInDoor } from './flows/sign-in-door.js';
import type { Accounts } from './people/accounts.js';
import { EMBEDDED_DEFAULTS } from './engine/defaults.js';
import { clientMetadataValidator } from './clients/client-policy.js';
import type { Consents } from './people/consents.js';
import { ClientRegistry } from './clients/registry.js';
import { recordClientUse } from './clients/last-use.js';
import { effectiveClientPolicy, type ClientPolicyStore } from './clients/stored-client-policy.js';
import { Csrf } from './web/csrf.js';
import { introspectionHandler } from './tokens/introspection-endpoint.js';
import { mountInteractions } from './flows/interactions.js';
import { renderPageError } from './pages/page-errors.js';
import type { LoginThrottle } from './people/login-throttle.js';
import type { KeyMaterial } from './keys/keys.js';
import { PROVIDER_PATHS, providerHandler } from './web/koa-bridge.js';
import { createProvider, OIDC_SCOPES } from './engine/provider.js';
import type { TokenLifetimes } from './engine/machine-tokens.js';
import { AccountSessions, endProviderSession } from './people/sessions.js';
import { CookiePolicy } from './web/cookies.js';
import { mountSetup } from './flows/setup.js';
import { mountPasswordReset } from './flows/password-reset.js';
import { mountAdminConsole } from './admin/admin-console.js';
import type { KeySource } from './keys/key-store.js';
import { ClientAdmin } from './clients/client-admin.js';
import { PeopleAdmin } from './people/people-admin.js';
import { embeddedVerifier } from './tokens/embedded-verifier.js';
import { auditProviderEvents } from './engine/audit-events.js';
import { seeOther } from './web/html.js';
import type { Federation } from './upstream/federation.js';
import type { UpstreamVault } from './upstream/vault.js';
import type { EmbeddedOptions } from './embedded-options.js';
import { enterpriseGrant } from './enterprise/jwt-bearer-grant.js';
import type { TrustedIdps } from './enterprise/trusted-idps.js';
import { DownstreamResources } from './downstream/downstream-resources.js';
import { DownstreamMint } from './downstream/downstream-mint.js';
import { registerTokenExchange } from './downstream/token-exchange-grant.js';

/** Everything that depends on the key material: rebuilt when keys rotate on another replica. */
export interface KeyedParts {
  routes: Hono;
  verifier: TokenVerifier;
  /** Tokens for downstream APIs, exchanged for callers' tokens (`caller.tokenFor()`, and RFC 8693 at the token endpoint). */
  downstream: DownstreamMint;
}

/** Gatehouse's own pages with forms: each form carries a CSRF token bound to the browser. */
export const PAGE_PATHS = ['/interaction/*', '/account', '/account/*', '/setup', '/reset', '/admin', '/admin/*'];

export interface PartsContext {
  options: EmbeddedOptions;
  urls: ServerUrls;
  logger: Logger;
  observer: RequestObserver;
  scopes: readonly ScopeInfo[];
  trustProxy: TrustedProxies;
  store: Store;
  accounts: Accounts;
  consents: Consents;
  throttle: LoginThrottle;
  audit: AuditLog;
  federation?: Federation;
  vault?: UpstreamVault;
  localLogin: boolean;
  outbound: GuardedFetch;
  /** The enterprise IdPs, made once so their keys stay cached across key rotations. */
  enterpriseIdps?: TrustedIdps;
  /** Where the keys are kept, for the console's rotation. */
  keySource: KeySource;
  /** The console's client policy, as last read from the store. */
  clientPolicy: ClientPolicyStore;
  /** Apply a client policy just saved: read it again and rebuild (other replicas notice on their next check). */
  applyClientPolicy(): Promise<void>;
}

/** Token lifetimes from the options: machine tokens live as long as other access tokens, refresh tokens idle as long as they may live, unless set. */
function tokenLifetimes(options: EmbeddedOptions): TokenLifetimes {
  const accessToken = options.accessTokenTtlSeconds ?? EMBEDDED_DEFAULTS.accessTokenTtlSeconds;
  const refreshToken = options.refreshTokenTtlSeconds ?? EMBEDDED_DEFAULTS.refreshTokenTtlSeconds;
  return {
    accessToken,
    clientCredentials: options.clientCredentialsTokenTtlSeconds ?? accessToken,
    refreshToken,
    refreshTokenIdle: options.refreshTokenIdleTtlSeconds ?? refreshToken,
  };
}

/** The provider, its routes and pages, and the token verifier, built from one generation of key material. */
export function keyedParts(keys: KeyMaterial, context: PartsContext): KeyedParts {
  const { options, urls, logger, observer, scopes, trustProxy, store, accounts, consents, throttle, audit, federation, vault, localLogin, outbound } = context;
  const cookies = new CookiePolicy(urls.issuer);
  const resources = [...serverIdentities(urls).values()].map((identity) => identity.resource);
  const redirectPolicy = options.redirectPolicy ?? { mode: 'any-safe' as const };
  const clients = new ClientRegistry(store, redirectPolicy);
  const lifetimes = tokenLifetimes(options);
  const enterprise =
    context.enterpriseIdps &&
    enterpriseGrant({
      idps: context.enterpriseIdps,
      issuer: urls.issuer,
      resources,
      resourceScopes: scopes.map((s) => s.name),
      store,
      accounts,
      operatorClient: async (clientId) => (await clients.find(clientId)) !== undefined,
      audit,
      linkByVerifiedEmail: options.linkByVerifiedEmail ?? false,
      accessTokenTtlSeconds: lifetimes.accessToken,
    });
  const policySettings = {
    dynamicRegistration: options.dynamicRegistration ?? EMBEDDED_DEFAULTS.dynamicRegistration,
    clientMetadataDocuments: options.clientMetadataDocuments ?? EMBEDDED_DEFAULTS.clientMetadataDocuments,
  };
  const policy = effectiveClientPolicy(policySettings, context.clientPolicy.current());
  const provider = createProvider({
    issuer: urls.issuer,
    resource: urls.resource,
    resources,
    store,
    accounts,
    keys,
    cookieNames: cookies.providerNames(),
    resourceScopes: scopes.map((s) => s.name),
    interactionPath: `${urls.basePath}/interaction`,
    dynamicRegistration: policy.dynamicRegistration,
    clientMetadataDocuments: policy.clientMetadataDocuments,
    validateClientMetadata: clientMetadataValidator({ ...options, allowedClients: policy.allowedClients }),
    consentCovers: (request) => consents.covers(request),
    fetch: outbound,
    fetchBodyLimit: OUTBOUND_FETCH_LIMITS.maxBytes,
    lifetimes,
    logger,
    audit,
    observer,
    enterprise,
  });
  const verifier = embeddedVerifier({ issuer: urls.issuer, signing: keys.signing, store, accounts, consents, vault });
  const downstream = new DownstreamMint({
    issuer: urls.issuer,
    keys,
    resources: new DownstreamResources(store, clients, resources),
    accessTokenTtlSeconds: lifetimes.accessToken,
    audit,
  });
  registerTokenExchange(provider, { verifier, clients, mint: downstream });
  cookies.applyTo(provider);
  const csrf = new Csrf(keys.cookies[0]!, cookies);
  const publicUrl = new URL(urls.issuer);
  const sessions = new AccountSessions(store, cookies);
  // Where people sign in through an upstream provider, a scope may give more (their identity there): say so.
  const scopeInfo = new Map<string, ScopeInfo>(
    [...OIDC_SCOPES, ...scopes].map((s) => [s.name, federation && s.upstreamDescription ? { name: s.name, description: s.upstreamDescription } : s]),
  );
  const origin = publicUrl.origin;

  const routes = new Hono();
  for (const path of PAGE_PATHS) routes.use(`${urls.basePath}${path}`, csrf.browserValue());
  routes.post(`${urls.basePath}/token/introspection`, introspectionHandler(provider, verifier, store));
  const handle = providerHandler(provider, publicUrl, urls.basePath, trustProxy, scopes.map((s) => s.name).join(' '));
  for (const path of PROVIDER_PATHS) routes.all(`${urls.basePath}${path}`, handle);
  auditProviderEvents(provider, audit);
  recordClientUse(provider, store);
  // The pages render what their handlers throw as the error page, in one place.
  const pages = new Hono().onError(renderPageError);
  // The account pages and the admin console let people in the same way, through one door.
  const door: SignInDoor = { accounts, sessions, csrf, throttle, audit, federation, localLogin, trustProxy, origin, basePath: urls.basePath };
  mountInteractions(pages, {
    provider,
    accounts,
    consents,
    clients,
    csrf,
    scopeInfo,
    throttle,
    audit,
    federation,
    localLogin,
    resource: urls.resource,
    redirectPolicy,
    trustProxy,
    origin,
    basePath: urls.basePath,
    logger,
  });
  mountAccountPages(pages, {
    ...door,
    consents,
    endProviderSession: (c) => endProviderSession(provider, c),
    resource: urls.resource,
    registeredName: async (clientId) => (await provider.Client.find(clientId))?.clientName,
    logger,
  });
  federation?.mount(pages, async (c, user) => {
    await sessions.start(c, user.id);
    return seeOther(`${urls.basePath}/account`);
  });
  mountSetup(pages, { store, accounts, sessions, csrf, origin, basePath: urls.basePath, audit, trustProxy, logger });
  mountPasswordReset(pages, { store, accounts, csrf, audit, origin, basePath: urls.basePath, trustProxy });
  mountAdminConsole(pages, {
    ...door,
    people: {
      people: new PeopleAdmin({ accounts, consents, audit, dropUpstreamTokens: async (userId) => vault?.drop(userId) }),
      consents,
      store,
      resetUrl: `${urls.issuer}/reset`,
    },
    clients: {
      registry: clients,
      clients: new ClientAdmin(clients, audit),
      policy: context.clientPolicy,
      settings: policySettings,
      applyPolicy: context.applyClientPolicy,
      mcpUrl: urls.resource,
    },
    keys: context.keySource,
  });
  routes.route('/', pages);
  // Errors go up to the app, which renders them in its one place (Hono's default would answer a plain-text 500).
  routes.onError((error) => {
    throw error;
  });
  return { routes, verifier, downstream };
}
