import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { writeFileDurably } from '../util/durable-file.js';

/**
 * Development signing keys: a key pair generated once in the data directory, so a newcomer can run a
 * protected server and mint real, verifiable JWTs (`gatehouse token`) before wiring up an authorization server.
 */
export interface DevKeys {
  privateJwk: JWK;
  publicJwk: JWK;
}

const FILE = 'dev-signing-key.json';
const ALG = 'ES256';

export async function loadOrCreateDevKeys(dataDir: string): Promise<DevKeys> {
  const path = join(dataDir, FILE);
  try {
    return fromPrivate(JSON.parse(readFileSync(path, 'utf8')) as JWK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read dev signing key ${path}: ${(error as Error).message}`);
  }
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const privateJwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: ALG, use: 'sig' };
  writeFileDurably(path, JSON.stringify(privateJwk, null, 2));
  return fromPrivate(privateJwk);
}

function fromPrivate(privateJwk: JWK): DevKeys {
  const { d: _d, ...publicJwk } = privateJwk;
  return { privateJwk, publicJwk };
}

export interface DevTokenClaims {
  issuer: string;
  audience: string;
  subject: string;
  scopes: string[];
  clientId?: string;
  email?: string;
  username?: string;
  ttlSeconds?: number;
}

/** Sign an RFC 9068 access token with the development key. */
export async function mintDevToken(keys: DevKeys, claims: DevTokenClaims): Promise<string> {
  const key = await importJWK(keys.privateJwk, ALG);
  return new SignJWT({
    scope: claims.scopes.join(' '),
    client_id: claims.clientId ?? 'gatehouse-cli',
    ...(claims.email !== undefined && { email: claims.email }),
    ...(claims.username !== undefined && { preferred_username: claims.username }),
  })
    .setProtectedHeader({ alg: ALG, typ: 'at+jwt', kid: keys.privateJwk.kid })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(claims.subject)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(key);
}
