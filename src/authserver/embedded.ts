import type { Context, Hono } from 'hono';
import type { AuthMode, AuthSetup } from '../resource/auth-mode.js';
import { guardedFetch, OUTBOUND_FETCH_LIMITS } from '../util/guarded-fetch.js';
import { Accounts } from './people/accounts.js';
import { EMBEDDED_DEFAULTS } from './engine/defaults.js';
import { openEmbeddedData } from './engine/embedded-data.js';
import { addressLimits, mountAddressLimits } from './engine/address-limits.js';
import { LoginThrottle } from './people/login-throttle.js';
import type { KeyMaterial } from './keys/keys.js';
import { rebuildOnKeyChange } from './keys/key-reload.js';
import { PROVIDER_PATHS } from './web/koa-bridge.js';
import { requireSecureIssuer } from './web/secure-issuer.js';
import { createSetupLink } from './flows/setup.js';
import { AuditLog } from '../audit/audit-log.js';
import { admissionPolicy } from './upstream/admission.js';
import { vaultSecrets } from './upstream/vault.js';
import type { EmbeddedOptions } from './embedded-options.js';
import { consentsAndFederation } from './embedded-people.js';
import { keyedParts, PAGE_PATHS } from './keyed-parts.js';
import { upstreamCallbackUrl } from './upstream/federation.js';
import { TrustedIdps } from './enterprise/trusted-idps.js';
import { ClientPolicyStore } from './clients/stored-client-policy.js';
import { watchClientPolicy } from './clients/policy-watch.js';

export type { EmbeddedOptions } from './embedded-options.js';

const TOKEN_PATHS = ['/token', '/token/*'];
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
      requireSecureIssuer(urls, options.dangerouslyAllowHttpIssuer, logger);
      const upstreams = options.upstreams ?? [];
      // Before anything opens: a provider whose discovery fails stops the start here, with nothing to close.
      const upstreamWarnings = await Promise.all(upstreams.map(async (source) => (await source.check?.(upstreamCallbackUrl(urls.issuer, source.name))) ?? []));
      const { store, keys, opened } = await openEmbeddedData(options);
      const accounts = new Accounts(store);
      const audit = new AuditLog(store, logger, options.auditRetentionDays ?? EMBEDDED_DEFAULTS.auditRetentionDays);
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
      const { consents, vault, federation } = consentsAndFederation({
        store,
        keys: loaded.keys,
        accounts,
        audit,
        upstreams,
        admission,
        linkByVerifiedEmail: options.linkByVerifiedEmail ?? false,
        urls,
        trustProxy,
        logger,
      });
      const limits = addressLimits(store, options);
      const throttle = new LoginThrottle(store);
      if (options.dangerouslyAllowLoopbackClientMetadata) {
        logger.warn('DANGER: client metadata documents may be fetched from loopback and private addresses (development only)');
      }
      // One fetcher for the whole server, made once: its in-flight cap must hold across key rotations too.
      const outbound = guardedFetch({ ...OUTBOUND_FETCH_LIMITS, dangerouslyAllowPrivateAddresses: options.dangerouslyAllowLoopbackClientMetadata });
      const enterpriseIdps = options.enterpriseIdps?.length ? new TrustedIdps(options.enterpriseIdps) : undefined;
      // The console's client policy: read now, applied to each build, and watched like the keys.
      const clientPolicy = new ClientPolicyStore(store);
      await clientPolicy.refresh().catch(async (error: unknown) => {
        if (opened) await store.close();
        throw error;
      });
      const everySeconds = options.keyReloadSeconds ?? 5;
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
          enterpriseIdps,
          keySource: keys,
          clientPolicy,
          applyClientPolicy: async () => {
            if (await clientPolicy.refresh()) parts.rebuild();
          },
        });
      };
      const parts = rebuildOnKeyChange(keys, loaded, build, everySeconds, logger);
      const policyWatch = watchClientPolicy(clientPolicy, () => parts.rebuild(), everySeconds, logger);

      const setupLink = localLogin ? await createSetupLink(store, accounts, `${urls.issuer}/setup`) : undefined;
      // With no setup link to show, the operator sees whether this is the data they expect.
      const accountCount = setupLink ? 0 : await accounts.count();
      const upstreamNotices = upstreams.map((source, i) => {
        const warnings = upstreamWarnings[i]!;
        for (const warning of warnings) logger.warn({ source: source.name }, warning);
        return [
          `  Upstream callback:  ${federation!.callbackUrl(source.name)}`,
          `                      (register exactly this URL as the callback of your ${source.label} app${warnings.length ? '; the check found problems, see the warnings' : ''})`,
        ];
      });
      return {
        verifier: { description: 'embedded authorization server', verify: (token) => parts.current().verifier.verify(token) },
        // The actor is the MCP resource the caller's token was issued for (one of the server's names).
        tokenExchanger: {
          description: 'embedded authorization server (downstream APIs registered with `gatehouse resources add`)',
          presentsSubjectToken: false,
          exchange: ({ verified }, request) => parts.current().downstream.forCaller(verified, verified.audience[0] ?? urls.resource, request),
        },
        authorizationServers: [urls.issuer],
        accountPage: `${urls.issuer}/account`,
        notices: [
          `  Account page:       ${urls.issuer}/account`,
          ...(enterpriseIdps ? [`  Enterprise IdPs:    ${enterpriseIdps.issuers.join(', ')}`] : []),
          ...upstreamNotices.flat(),
          ...(setupLink
            ? [`  First-time setup:   ${setupLink}`, '                      (open it to create the first account; it works once)']
            : [`  Accounts:           ${accountCount === 1 ? '1 account' : `${accountCount} accounts`}`]),
        ],
        mount(app: Hono) {
          mountAddressLimits(app, urls.basePath, limits, trustProxy);
          // A store that cannot be reached answers 503 (retry later), not a fault of the request. Pages render
          // every error as 400, so the store is checked before them; the token endpoints (the hot path) answer JSON
          // and keep the provider's 5xx, so there the check is only paid when the provider failed. The ping throws
          // StoreUnavailableError, which the app renders as 503.
          const dispatch = async (c: Context) => {
            await store.ping();
            return parts.current().routes.fetch(c.req.raw, c.env);
          };
          const dispatchToken = async (c: Context) => {
            const response = await parts.current().routes.fetch(c.req.raw, c.env);
            if (response.status >= 500) await store.ping();
            return response;
          };
          for (const path of TOKEN_PATHS) app.all(`${urls.basePath}${path}`, dispatchToken);
          for (const path of AUTH_PATHS) app.all(`${urls.basePath}${path}`, dispatch);
        },
        // The engine answers CORS on its token endpoints itself, but not on dynamic registration.
        browserEndpoints: [`${urls.basePath}/reg`],
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
          parts.stop();
          clearInterval(policyWatch);
          await store.close();
        },
      };
    },
  };
}
