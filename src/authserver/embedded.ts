import { join } from 'node:path';
import type { Hono } from 'hono';
import { clientAddress } from '../http/client-address.js';
import type { AuthMode, AuthSetup, ScopeInfo } from '../auth-mode.js';
import { RateLimiter, tooManyRequests } from '../http/rate-limit.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/store.js';
import { mountAccountPages } from './account-pages.js';
import { Accounts } from './accounts.js';
import { clientMetadataValidator, type ClientPolicyOptions } from './client-policy.js';
import { Consents } from './consents.js';
import { Csrf } from './csrf.js';
import { mountInteractions } from './interactions.js';
import { keysFromEnvironment, loadOrCreateKeys } from './keys.js';
import { PROVIDER_PATHS, providerHandler } from './koa-bridge.js';
import { createProvider, OIDC_SCOPES } from './provider.js';
import { createSetupLink, mountSetup } from './setup.js';
import { AccountSessions } from './sessions.js';
import { grantRevoker } from './adapter.js';
import { embeddedVerifier } from './verifier.js';
import { introspectionHandler } from './introspection.js';

export interface EmbeddedOptions extends ClientPolicyOptions {
  /** Where keys and the SQLite database live. Default `./.gatehouse`. */
  dataDir?: string;
  /** A store to use instead of `<dataDir>/gatehouse.db` (e.g. `memory:` in tests). */
  store?: Store | string;
  /** Let clients register themselves (RFC 7591). Default true; every redirect URI still passes the policy. */
  dynamicRegistration?: boolean;
  /** Accept Client ID Metadata Documents (https URLs as client ids). Default true. */
  clientMetadataDocuments?: boolean;
  /** Registrations allowed per client address per hour. Default 20. */
  registrationsPerHour?: number;
  /** Access token lifetime. Default 600 s. */
  accessTokenTtlSeconds?: number;
  /** Refresh token (and grant) lifetime. Default 30 days. */
  refreshTokenTtlSeconds?: number;
}

/**
 * Embedded mode: an OAuth 2.1 authorization server in the same process, with local accounts, consent,
 * client registration and audience-bound tokens, and the resource server checking its tokens directly.
 */
export function embedded(options: EmbeddedOptions = {}): AuthMode {
  return {
    kind: 'embedded',
    async setup({ urls, logger, scopes, trustProxy }): Promise<AuthSetup> {
      const dataDir = options.dataDir ?? '.gatehouse';
      const store = typeof options.store === 'object' ? options.store : await openStore(options.store ?? `sqlite:${join(dataDir, 'gatehouse.db')}`);
      const keys = keysFromEnvironment() ?? (await loadOrCreateKeys(dataDir));
      const accounts = new Accounts(store);
      const consents = new Consents(store, grantRevoker(store));
      const csrf = new Csrf(keys.cookies[0]!);
      const publicUrl = new URL(urls.issuer);
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(publicUrl.hostname);
      const sessions = new AccountSessions(csrf, publicUrl.protocol === 'https:' || loopback);
      if (options.dangerouslyAllowLoopbackClientMetadata) {
        logger.warn('DANGER: client metadata documents may be fetched from loopback and private addresses (development only)');
      }

      const provider = createProvider({
        issuer: urls.issuer,
        resource: urls.resource,
        store,
        accounts,
        keys,
        resourceScopes: scopes.map((s) => s.name),
        interactionPath: `${urls.basePath}/interaction`,
        dynamicRegistration: options.dynamicRegistration ?? true,
        clientMetadataDocuments: options.clientMetadataDocuments ?? true,
        validateClientMetadata: clientMetadataValidator(options),
        dangerousFetch: options.dangerouslyAllowLoopbackClientMetadata ? (url, init) => fetch(url, { ...init, dispatcher: undefined } as RequestInit) : undefined,
        accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 600,
        refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 30 * 24 * 3600,
        logger,
      });

      const scopeInfo = new Map<string, ScopeInfo>([...OIDC_SCOPES, ...scopes].map((s) => [s.name, s]));
      const setupLink = await createSetupLink(store, accounts, `${urls.issuer}/setup`);
      const registrations = new RateLimiter(options.registrationsPerHour ?? 20, 3600_000);

      const verifier = embeddedVerifier({ issuer: urls.issuer, signing: keys.signing, store, accounts, consents });
      return {
        verifier,
        authorizationServers: [urls.issuer],
        notices: [
          `  Account page:       ${urls.issuer}/account`,
          ...(setupLink ? [`  First-time setup:   ${setupLink}`, '                      (open it to create the first account; it works once)'] : []),
        ],
        mount(app: Hono) {
          // The limiter comes first: the provider answers /reg itself and never passes the request on.
          app.post(`${urls.basePath}/reg`, async (c, next) => {
            const retryAfter = registrations.hit(clientAddress(c, trustProxy) ?? 'unknown');
            if (retryAfter !== undefined) return tooManyRequests(retryAfter);
            await next();
          });
          app.post(`${urls.basePath}/token/introspection`, introspectionHandler(provider, verifier, store));
          const handle = providerHandler(provider, publicUrl, urls.basePath, trustProxy, scopes.map((s) => s.name).join(' '));
          for (const path of PROVIDER_PATHS) app.all(`${urls.basePath}${path}`, handle);
          const origin = publicUrl.origin;
          mountInteractions(app, { provider, accounts, consents, csrf, scopeInfo, origin, basePath: urls.basePath, logger });
          mountAccountPages(app, { accounts, consents, sessions, csrf, origin, basePath: urls.basePath, logger });
          mountSetup(app, { store, accounts, sessions, csrf, origin, basePath: urls.basePath, logger });
        },
        close: () => store.close(),
      };
    },
  };
}
