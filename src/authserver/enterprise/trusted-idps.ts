import type { JWTVerifyGetKey } from 'jose';
import { remoteKeySet } from '../../resource/jwt.js';
import { isHttpsOrLoopback } from '../../resource/urls.js';
import { IdpUnavailable } from './refusals.js';

const DISCOVERY_TIMEOUT_MS = 5_000;

/** The metadata documents an issuer may publish its `jwks_uri` in: OpenID discovery, then RFC 8414. */
function metadataUrls(issuer: URL): URL[] {
  const path = issuer.pathname.replace(/\/$/, '');
  return [new URL(`${issuer.origin}${path}/.well-known/openid-configuration`), new URL(`${issuer.origin}/.well-known/oauth-authorization-server${path}`)];
}

/** The issuer's `jwks_uri`, from the first metadata document that answers and names exactly this issuer. */
async function discoverJwksUri(issuer: string): Promise<URL> {
  const problems: string[] = [];
  for (const url of metadataUrls(new URL(issuer))) {
    let metadata: Record<string, unknown>;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: 'application/json' } });
      if (!response.ok) {
        problems.push(`${url.href} answered ${response.status}`);
        continue;
      }
      metadata = (await response.json()) as Record<string, unknown>;
    } catch (error) {
      problems.push(`${url.href}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    // RFC 8414 §3.3: metadata naming another issuer must not be used.
    if (metadata['issuer'] !== issuer) {
      problems.push(`${url.href} names the issuer ${JSON.stringify(metadata['issuer'])}, not ${issuer}`);
      continue;
    }
    const jwksUri = typeof metadata['jwks_uri'] === 'string' && URL.canParse(metadata['jwks_uri']) ? new URL(metadata['jwks_uri']) : undefined;
    if (!jwksUri || !isHttpsOrLoopback(jwksUri)) {
      problems.push(`${url.href} has no https jwks_uri`);
      continue;
    }
    return jwksUri;
  }
  throw new Error(problems.join('; '));
}

/**
 * The enterprise identity providers this server trusts to sign ID-JAGs, by exact issuer. Each one's keys come from
 * its discovery document and JWKS, discovered on first use and then cached and refreshed as the JWT verifier does
 * (`remoteKeySet`); a failed discovery is tried again on the next assertion.
 */
export class TrustedIdps {
  readonly #keys = new Map<string, Promise<JWTVerifyGetKey>>();

  constructor(readonly issuers: readonly string[]) {
    for (const issuer of issuers) {
      if (!URL.canParse(issuer) || !isHttpsOrLoopback(new URL(issuer))) {
        throw new Error(`the enterprise identity provider ${issuer} must be an https URL (plain http only for localhost)`);
      }
    }
  }

  trusts(issuer: unknown): issuer is string {
    return typeof issuer === 'string' && this.issuers.includes(issuer);
  }

  /** The key set of a trusted issuer; throws IdpUnavailable when its metadata cannot be read. */
  async keysOf(issuer: string): Promise<JWTVerifyGetKey> {
    let keys = this.#keys.get(issuer);
    if (!keys) {
      keys = discoverJwksUri(issuer).then((jwksUri) => remoteKeySet(jwksUri));
      this.#keys.set(issuer, keys);
    }
    try {
      return await keys;
    } catch (error) {
      this.#keys.delete(issuer);
      throw new IdpUnavailable(
        `the identity provider ${issuer} could not be reached for its keys; try again later`,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
}
