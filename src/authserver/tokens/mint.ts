import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { Store } from '../../store/contract/store.js';
import type { ServerUrls } from '../../resource/urls.js';
import type { PublicUser } from '../people/accounts.js';
import { currentSigningKey, type KeyMaterial } from '../keys/keys.js';

/**
 * Mint an access token for a person without a browser, for scripts and tests (`gatehouse token`).
 * It is the same kind of token the authorization server issues, under a grant of its own that
 * disappears when the token expires, or earlier if the grant is revoked.
 */
export async function mintAccessToken(options: {
  store: Store;
  keys: KeyMaterial;
  urls: ServerUrls;
  user: PublicUser;
  scopes: string[];
  clientId: string;
  ttlSeconds: number;
  /** The grant the token is issued under (default: a new random id), for a caller that records it. */
  grantId?: string;
}): Promise<string> {
  const signing = currentSigningKey(options.keys, 'ES256');
  if (!signing) throw new Error('no ES256 signing key');
  const now = Math.floor(Date.now() / 1000);
  const grantId = options.grantId ?? randomUUID();
  const scope = options.scopes.join(' ');
  await options.store.set(
    'Grant',
    grantId,
    {
      kind: 'Grant',
      jti: grantId,
      accountId: options.user.id,
      clientId: options.clientId,
      iat: now,
      exp: now + options.ttlSeconds,
      resources: { [options.urls.resource]: scope },
    },
    options.ttlSeconds,
  );
  return new SignJWT({ scope, client_id: options.clientId, gid: grantId, email: options.user.email, preferred_username: options.user.email })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: signing.kid })
    .setIssuer(options.urls.issuer)
    .setSubject(options.user.id)
    .setAudience(options.urls.resource)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .setJti(randomUUID())
    .sign(await importJWK(signing, 'ES256'));
}
