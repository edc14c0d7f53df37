import type { Logger } from 'pino';
import type { ServerUrls } from '../resource/urls.js';
import type { Store } from '../store/contract/store.js';
import type { TrustedProxies } from '../util/trusted-proxies.js';
import type { AuditLog } from '../audit/audit-log.js';
import { grantRevoker } from './engine/adapter.js';
import type { KeyMaterial } from './keys/keys.js';
import type { Accounts } from './people/accounts.js';
import { Consents } from './people/consents.js';
import type { AdmissionPolicy } from './upstream/admission.js';
import { Federation } from './upstream/federation.js';
import type { UpstreamSource } from './upstream/source.js';
import { openUpstreamVault, type UpstreamVault } from './upstream/vault.js';
import { CookiePolicy } from './web/cookies.js';

export interface PeopleContext {
  store: Store;
  keys: KeyMaterial;
  accounts: Accounts;
  audit: AuditLog;
  upstreams: readonly UpstreamSource[];
  admission?: AdmissionPolicy;
  linkByVerifiedEmail: boolean;
  urls: ServerUrls;
  trustProxy: TrustedProxies;
  logger: Logger;
}

/** Consents, and with upstream sources their token vault and the federation that signs people in through them. */
export function consentsAndFederation(context: PeopleContext): { consents: Consents; vault?: UpstreamVault; federation?: Federation } {
  const { store, keys, accounts, audit, upstreams, urls, logger } = context;
  const vault = upstreams.length ? openUpstreamVault(store, upstreams, keys, logger) : undefined;
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
      linkByVerifiedEmail: context.linkByVerifiedEmail,
      admission: context.admission,
      audit,
      trustProxy: context.trustProxy,
      logger,
    });
  return { consents, vault, federation };
}
