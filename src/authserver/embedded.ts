import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { AuthMode, AuthSetup, RequestObserver, ScopeInfo } from '../resource/auth-mode.js';
import { clientAddress } from '../util/client-address.js';
import { RateLimiter, rateLimitKey } from '../store/rate-limit.js';
import type { TokenVerifier } from '../resource/verifier.js';
import type { Store } from '../store/store.js';
import { isHttpsOrLoopback, type ServerUrls } from '../resource/urls.js';
import { TooManyRequestsError } from '../util/http-error.js';
import { guardedFetch, OUTBOUND_FETCH_LIMITS, type GuardedFetch } from '../util/guarded-fetch.js';
import { mountAccountPages } from './flows/account-pages.js';
import { Accounts } from './people/accounts.js';
import { EMBEDDED_DEFAULTS } from './engine/defaults.js';
import { openEmbeddedData } from './engine/embedded-data.js';
import { grantRevoker } from './engine/adapter.js';
import { clientMetadataValidator, type ClientPolicyOptions } from './clients/client-policy.js';
import { Consents } from './people/consents.js';
import { ClientRegistry } from './clients/registry.js';
import { Csrf } from './web/csrf.js';
import { introspectionHandler } from './tokens/introspection-endpoint.js';
import { mountInteractions } from './flows/interactions.js';
import { renderPageError } from './pages/page-errors.js';
import { LoginThrottle } from './people/login-throttle.js';
import { nextActivation, type KeyMaterial } from './keys/keys.js';
import { PROVIDER_PATHS, providerHandler } from './web/koa-bridge.js';
import { createProvider, OIDC_SCOPES } from './engine/provider.js';
import { AccountSessions, endProviderSession } from './people/sessions.js';
import { CookiePolicy } from './web/cookies.js';
import { createSetupLink, mountSetup } from './flows/setup.js';
import { embeddedVerifier } from './tokens/embedded-verifier.js';
import { AuditLog } from '../audit/audit-log.js';
import { auditProviderEvents } from './engine/audit-events.js';
import { seeOther } from './web/html.js';
import { Federation } from './upstream/federation.js';
import type { UpstreamSource } from './upstream/source.js';
import { admissionPolicy, type AdmissionPolicy } from './upstream/admission.js';
import { openUpstreamVault, vaultSecrets, type UpstreamVault } from './upstream/vault.js';
import type { TrustedProxies } from '../util/trusted-proxies.js';

export interface EmbeddedOptions extends ClientPolicyOptions {
  /** Where keys and the SQLite database live. Default `./.gatehouse`. */
  dataDir?: string;
  /** A store, or its URL: `sqlite:<path>` (default `<dataDir>/gatehouse.db`), `redis://host:port/db`, `memory:`. */
  store?: Store | string;
  /** Key prefix in a shared store (Redis). Default `gatehouse`. */
  storePrefix?: string;
  /** Keep signing keys in the store (shared by replicas) instead of the data directory. Default: with Redis. */
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
  /** Refresh token (and grant) lifetime. Default 30 days. */
  refreshTokenTtlSeconds?: number;
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
}

/** Everything that depends on the key material: rebuilt when keys rotate on another replica. */
interface KeyedParts {
  routes: Hono;
  verifier: TokenVerifier;
}

const TOKEN_PATHS = ['/token', '/token/*'];
/** Gatehouse's own pages with forms: each form carries a CSRF token bound to the browser. */
const PAGE_PATHS = ['/interaction/*', '/account', '/account/*', '/setup'];
const AUTH_PATHS = [...PROVIDER_PATHS.filter((path) => !TOKEN_PATHS.includes(path)), ...PAGE_PATHS, '/oauth/callback/*'];

/**
 * Embedded mode: an OAuth 2.1 authorization server in the same process, with local accounts, consent,
 * client registration and audience-bound tokens, and the resource server checking its tokens directly.
 */
export function embedded(options: EmbeddedOptions = {}): AuthMode {
  // Refused here, before anything starts: upstream sign-in with no word on whom it admits.
  const admission = options.upstreams?.length ? admissionPolicy(options, options.upstreams) : undefined;
  return {
    kind: 'embedded',
    async setup({ urls, logger, scopes, trustProxy, observer }): Promise<AuthSetup> {
      if (!isHttpsOrLoopback(new URL(urls.issuer))) {
        if (!options.dangerouslyAllowHttpIssuer) {
          throw new Error(
            `the authorization server must be reached over https, not ${urls.origin}: set the public URL to the https address clients use (behind a TLS proxy, that one); plain http is only for localhost`,
          );
        }
        logger.warn(
          `DANGER: the authorization server is served over plain http at ${urls.origin}: passwords, codes and tokens cross the network unencrypted, and its cookies can be neither Secure nor __Host- prefixed`,
        );
      }
      const { store, keys, opened } = await openEmbeddedData(options);
      const accounts = new Accounts(store);
      const audit = new AuditLog(store, logger, options.auditRetentionDays ?? EMBEDDED_DEFAULTS.auditRetentionDays);
      const upstreams = options.upstreams ?? [];
      if (upstreams.length && !admission) {
        logger.warn(
          `DANGER: anyone with an account at ${upstreams.map((u) => u.label).join(' or ')} can sign in and get tokens (dangerouslyAllowAnyUpstreamAccount); set an admission policy`,
        );
      }
      const localLogin = options.localLogin ?? upstreams.length === 0;
      // A store opened here is closed again when the keys cannot be had, or its connection keeps the process alive.
      const loaded = await keys.load().catch(async (error: unknown) => {
        if (opened) await store.close();
        throw error;
      });
      const vault = upstreams.length ? openUpstreamVault(store, upstreams, loaded.keys, logger) : undefined;
      const consents = new Consents(store, grantRevoker(store), vault && ((userId) => vault.drop(userId)));
      const federation =
        vault &&
        new Federation({
          sources: upstreams,
          store,
          accounts,
          vault,
          issuer: urls.issuer,
          basePath: urls.basePath,
          cookies: new CookiePolicy(urls.issuer),
          linkByVerifiedEmail: options.linkByVerifiedEmail ?? false,
          admission,
          audit,
          trustProxy,
          logger,
        });
      // Limits per client address, shared by replicas through the store; each endpoint answers 429 with Retry-After.
      // Authorization requests are unauthenticated and each leaves an Interaction record for its lifetime (10
      // minutes): the limit also bounds the records one address can leave to about 11 minutes' worth.
      const limits: Array<[string, RateLimiter, string[]]> = [
        [
          '/auth',
          new RateLimiter(store, 'authorization', options.authorizationRequestsPerMinute ?? EMBEDDED_DEFAULTS.authorizationRequestsPerMinute, 60),
          ['GET', 'POST'],
        ],
        ['/reg', new RateLimiter(store, 'registration', options.registrationsPerHour ?? EMBEDDED_DEFAULTS.registrationsPerHour, 3600), ['POST']],
        ['/token', new RateLimiter(store, 'token', options.tokenRequestsPerMinute ?? EMBEDDED_DEFAULTS.tokenRequestsPerMinute, 60), ['POST']],
        ['/token/revocation', new RateLimiter(store, 'token', options.tokenRequestsPerMinute ?? EMBEDDED_DEFAULTS.tokenRequestsPerMinute, 60), ['POST']],
        [
          '/token/introspection',
          new RateLimiter(store, 'introspection', options.introspectionRequestsPerMinute ?? EMBEDDED_DEFAULTS.introspectionRequestsPerMinute, 60),
          ['POST'],
        ],
      ];
      const throttle = new LoginThrottle(store);
      if (options.dangerouslyAllowLoopbackClientMetadata) {
        logger.warn('DANGER: client metadata documents may be fetched from loopback and private addresses (development only)');
      }
      // One fetcher for the whole server, made once: its in-flight cap must hold across key rotations too.
      const outbound = guardedFetch({ ...OUTBOUND_FETCH_LIMITS, dangerouslyAllowPrivateAddresses: options.dangerouslyAllowLoopbackClientMetadata });
      const build = (material: KeyMaterial) => {
        vault?.useKeys(vaultSecrets(material));
        return keyedParts(material, {
          options,
          urls,
          logger,
          observer,
          scopes,
          trustProxy,
          store,
          accounts,
          consents,
          throttle,
          audit,
          federation,
          vault,
          localLogin,
          outbound,
        });
      };

      let parts = build(loaded.keys);
      let version = loaded.version;
      let current = loaded.keys;
      /** When a key of the current material, published but not signing yet, is due to start signing. */
      let activation = nextActivation(current);
      // Replicas pick up a rotation made by another replica (or the CLI) without a restart, and a published key
      // starts signing once its publication period is over.
      const reload = setInterval(
        async () => {
          try {
            if (activation !== undefined && activation <= Date.now() / 1000) {
              parts = build(current);
              activation = nextActivation(current);
              logger.info({ version }, 'a published signing key now signs');
            }
            const now = await keys.version();
            if (now === version) return;
            const fresh = await keys.load();
            parts = build(fresh.keys);
            version = fresh.version;
            current = fresh.keys;
            activation = nextActivation(current);
            logger.info({ version }, 'signing keys reloaded');
          } catch (error) {
            logger.warn({ err: error }, 'could not check for rotated keys');
          }
        },
        (options.keyReloadSeconds ?? 5) * 1000,
      );
      reload.unref();

      const setupLink = localLogin ? await createSetupLink(store, accounts, `${urls.issuer}/setup`) : undefined;
      const upstreamNotices = await Promise.all(
        upstreams.map(async (source) => {
          const callback = federation!.callbackUrl(source.name);
          const warnings = (await source.check?.(callback)) ?? [];
          for (const warning of warnings) logger.warn({ source: source.name }, warning);
          return [
            `  Upstream callback:  ${callback}`,
            `                      (register exactly this URL as the callback of your ${source.label} app${warnings.length ? '; the check found problems, see the warnings' : ''})`,
          ];
        }),
      );
      return {
        verifier: { description: 'embedded authorization server', verify: (token) => parts.verifier.verify(token) },
        authorizationServers: [urls.issuer],
        notices: [
          `  Account page:       ${urls.issuer}/account`,
          ...upstreamNotices.flat(),
          ...(setupLink ? [`  First-time setup:   ${setupLink}`, '                      (open it to create the first account; it works once)'] : []),
        ],
        mount(app: Hono) {
          // The limiters come first: the provider answers these endpoints itself and never passes the request on.
          for (const [path, limiter, methods] of limits) {
            app.on(methods, `${urls.basePath}${path}`, async (c, next) => {
              const retryAfter = await limiter.hit(rateLimitKey(clientAddress(c, trustProxy)));
              if (retryAfter !== undefined) throw new TooManyRequestsError('Too many requests from this address; try again later', retryAfter);
              await next();
            });
          }
          // A store that cannot be reached answers 503 (retry later), not a fault of the request. Pages render
          // every error as 400, so the store is checked before them; the token endpoints (the hot path) answer JSON
          // and keep the provider's 5xx, so there the check is only paid when the provider failed. The ping throws
          // StoreUnavailableError, which the app renders as 503.
          const dispatch = async (c: Context) => {
            await store.ping();
            return parts.routes.fetch(c.req.raw, c.env);
          };
          const dispatchToken = async (c: Context) => {
            const response = await parts.routes.fetch(c.req.raw, c.env);
            if (response.status >= 500) await store.ping();
            return response;
          };
          for (const path of TOKEN_PATHS) app.all(`${urls.basePath}${path}`, dispatchToken);
          for (const path of AUTH_PATHS) app.all(`${urls.basePath}${path}`, dispatch);
        },
        ready: async () => ({
          store: await store.ping().then(
            () => true,
            () => false,
          ),
          keys: loaded.keys.signing.length > 0,
        }),
        store,
        audit,
        close: async () => {
          clearInterval(reload);
          await store.close();
        },
      };
    },
  };
}

interface PartsContext {
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
}

function keyedParts(keys: KeyMaterial, context: PartsContext): KeyedParts {
  const { options, urls, logger, observer, scopes, trustProxy, store, accounts, consents, throttle, audit, federation, vault, localLogin, outbound } = context;
  const cookies = new CookiePolicy(urls.issuer);
  const provider = createProvider({
    issuer: urls.issuer,
    resource: urls.resource,
    store,
    accounts,
    keys,
    cookieNames: cookies.providerNames(),
    resourceScopes: scopes.map((s) => s.name),
    interactionPath: `${urls.basePath}/interaction`,
    dynamicRegistration: options.dynamicRegistration ?? EMBEDDED_DEFAULTS.dynamicRegistration,
    clientMetadataDocuments: options.clientMetadataDocuments ?? EMBEDDED_DEFAULTS.clientMetadataDocuments,
    validateClientMetadata: clientMetadataValidator(options),
    consentCovers: (request) => consents.covers(request),
    fetch: outbound,
    fetchBodyLimit: OUTBOUND_FETCH_LIMITS.maxBytes,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? EMBEDDED_DEFAULTS.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? EMBEDDED_DEFAULTS.refreshTokenTtlSeconds,
    logger,
    audit,
    observer,
  });
  const verifier = embeddedVerifier({ issuer: urls.issuer, signing: keys.signing, store, accounts, consents, vault });
  cookies.applyTo(provider);
  const csrf = new Csrf(keys.cookies[0]!, cookies);
  const publicUrl = new URL(urls.issuer);
  const sessions = new AccountSessions(store, cookies);
  const scopeInfo = new Map<string, ScopeInfo>([...OIDC_SCOPES, ...scopes].map((s) => [s.name, s]));
  const origin = publicUrl.origin;

  const routes = new Hono();
  for (const path of PAGE_PATHS) routes.use(`${urls.basePath}${path}`, csrf.browserValue());
  routes.post(`${urls.basePath}/token/introspection`, introspectionHandler(provider, verifier, store));
  const handle = providerHandler(provider, publicUrl, urls.basePath, trustProxy, scopes.map((s) => s.name).join(' '));
  for (const path of PROVIDER_PATHS) routes.all(`${urls.basePath}${path}`, handle);
  const redirectPolicy = options.redirectPolicy ?? { mode: 'any-safe' as const };
  auditProviderEvents(provider, audit);
  const clients = new ClientRegistry(store, redirectPolicy);
  // The pages render what their handlers throw as the error page, in one place.
  const pages = new Hono().onError(renderPageError);
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
    accounts,
    consents,
    sessions,
    endProviderSession: (c) => endProviderSession(provider, c),
    csrf,
    throttle,
    audit,
    federation,
    localLogin,
    trustProxy,
    origin,
    basePath: urls.basePath,
    logger,
  });
  federation?.mount(routes, async (c, user) => {
    await sessions.start(c, user.id);
    return seeOther(`${urls.basePath}/account`);
  });
  mountSetup(pages, { store, accounts, sessions, csrf, origin, basePath: urls.basePath, audit, trustProxy, logger });
  routes.route('/', pages);
  // Errors go up to the app, which renders them in its one place (Hono's default would answer a plain-text 500).
  routes.onError((error) => {
    throw error;
  });
  return { routes, verifier };
}
