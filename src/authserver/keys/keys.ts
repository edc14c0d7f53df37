import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { writeFileDurably } from '../../util/durable-file.js';

/**
 * The authorization server's key material: signing keys (ES256 for access tokens, RS256 for ID tokens,
 * which OIDC clients expect by default) and cookie-signing secrets. Created on first start in the data
 * directory (mode 0600), or taken from the environment. Rotation puts a new generation first, published in
 * the JWKS for a while before it signs anything (so resource servers holding a cached JWKS know it by the
 * time its first token reaches them), and keeps the previous one, so tokens it signed stay verifiable until
 * they expire.
 */
export interface KeyMaterial {
  /** Private JWKs, newest first. */
  signing: JWK[];
  /** Cookie-signing secrets, newest first. */
  cookies: string[];
  /** When each rotated key may start signing (seconds since the epoch), by `kid`; keys not named sign at once. */
  signsFrom?: Record<string, number>;
}

/** How long a rotated key is published before it signs: longer than resource servers keep a JWKS (ours: 10 minutes). */
export const DEFAULT_PUBLICATION_SECONDS = 15 * 60;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Whether the key is still only being published (not yet allowed to sign). */
function pending(material: KeyMaterial, key: JWK, now: number): boolean {
  return (material.signsFrom?.[key.kid!] ?? 0) > now;
}

/**
 * The signing keys in the order the engine must be given them: those allowed to sign (newest first), then those
 * still only published. oidc-provider publishes every key and signs with the first one that fits the algorithm.
 */
export function inSigningOrder(material: KeyMaterial, now = nowSeconds()): JWK[] {
  return [...material.signing.filter((k) => !pending(material, k, now)), ...material.signing.filter((k) => pending(material, k, now))];
}

/** The key that signs for `alg` now. */
export function currentSigningKey(material: KeyMaterial, alg: string, now = nowSeconds()): JWK | undefined {
  return inSigningOrder(material, now).find((k) => k.alg === alg);
}

/** When the next published key starts signing (seconds since the epoch), if one is waiting. */
export function nextActivation(material: KeyMaterial, now = nowSeconds()): number | undefined {
  const times = material.signing.filter((k) => pending(material, k, now)).map((k) => material.signsFrom![k.kid!]!);
  return times.length ? Math.min(...times) : undefined;
}

const FILE = 'keys.json';
/** Generations kept: the current one signs, the previous one only verifies. */
const GENERATIONS = 2;

export async function newKeyGeneration(): Promise<{ signing: JWK[]; cookie: string }> {
  const createdAt = Math.floor(Date.now() / 1000);
  const keys: JWK[] = [];
  for (const alg of ['ES256', 'RS256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' && { modulusLength: 2048 }) });
    keys.push({ ...(await exportJWK(privateKey)), kid: `${createdAt}-${randomUUID().slice(0, 8)}`, alg, use: 'sig' });
  }
  return { signing: keys, cookie: randomBytes(32).toString('base64url') };
}

export function keysFile(dataDir: string): string {
  return join(dataDir, FILE);
}

/** Keys from `GATEHOUSE_SIGNING_KEYS` (a private JWK Set) and `GATEHOUSE_COOKIE_KEYS` (comma-separated), when set. */
export function keysFromEnvironment(env: NodeJS.ProcessEnv = process.env): KeyMaterial | undefined {
  const signing = env['GATEHOUSE_SIGNING_KEYS'];
  const cookies = env['GATEHOUSE_COOKIE_KEYS'];
  if (!signing && !cookies) return undefined;
  if (!signing || !cookies) throw new Error('set both GATEHOUSE_SIGNING_KEYS (a private JWK Set) and GATEHOUSE_COOKIE_KEYS, or neither');
  let parsed: { keys?: JWK[] };
  try {
    parsed = JSON.parse(signing) as { keys?: JWK[] };
  } catch {
    throw new Error('GATEHOUSE_SIGNING_KEYS must be a JSON Web Key Set with private keys');
  }
  const keys = parsed.keys ?? [];
  if (!keys.some((k) => k.alg === 'ES256' && k.d) || !keys.some((k) => k.alg === 'RS256' && k.d)) {
    throw new Error('GATEHOUSE_SIGNING_KEYS must hold a private ES256 key and a private RS256 key');
  }
  const secrets = cookies
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (secrets.some((s) => s.length < 32)) throw new Error('each GATEHOUSE_COOKIE_KEYS secret must be at least 32 characters');
  return { signing: keys, cookies: secrets };
}

/** Load the key file, creating it with a first generation when absent. */
export async function loadOrCreateKeys(dataDir: string): Promise<KeyMaterial> {
  const path = keysFile(dataDir);
  try {
    const material = JSON.parse(readFileSync(path, 'utf8')) as KeyMaterial;
    if (!Array.isArray(material.signing) || !Array.isArray(material.cookies)) throw new Error('unexpected shape');
    return material;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  const generation = await newKeyGeneration();
  const material = { signing: generation.signing, cookies: [generation.cookie] };
  writeFileDurably(path, JSON.stringify(material, null, 2));
  return material;
}

/**
 * The material after a rotation: a new generation first, published now and signing `publicationSeconds` later.
 * Generations older than the previous one are dropped, except a key that still signs or is still waiting to.
 */
export async function rotated(
  existing: KeyMaterial,
  publicationSeconds = DEFAULT_PUBLICATION_SECONDS,
): Promise<{ material: KeyMaterial; current: string[]; retired: string[]; signsFrom: number }> {
  const now = nowSeconds();
  const generation = await newKeyGeneration();
  const signsFrom = now + publicationSeconds;
  const perGeneration = generation.signing.length;
  const signers = new Set(['ES256', 'RS256'].map((alg) => currentSigningKey(existing, alg, now)?.kid));
  const keptOld = existing.signing.filter((k, i) => i < perGeneration * (GENERATIONS - 1) || signers.has(k.kid) || pending(existing, k, now));
  const signing = [...generation.signing, ...keptOld];
  const kids = new Set(signing.map((k) => k.kid!));
  const schedule = Object.fromEntries(Object.entries(existing.signsFrom ?? {}).filter(([kid, at]) => kids.has(kid) && at > now));
  for (const key of generation.signing) schedule[key.kid!] = signsFrom;
  return {
    material: { signing, cookies: [generation.cookie, ...existing.cookies].slice(0, GENERATIONS), signsFrom: schedule },
    current: generation.signing.map((k) => k.kid!),
    retired: existing.signing.filter((k) => !kids.has(k.kid!)).map((k) => k.kid!),
    signsFrom,
  };
}

/** Rotate the key file in the data directory. */
export async function rotateKeys(dataDir: string, publicationSeconds?: number): Promise<{ current: string[]; retired: string[]; signsFrom: number }> {
  const { material, current, retired, signsFrom } = await rotated(await loadOrCreateKeys(dataDir), publicationSeconds);
  writeFileDurably(keysFile(dataDir), JSON.stringify(material, null, 2));
  return { current, retired, signsFrom };
}

/** The public half of a private JWK. */
export function publicJwk(key: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = key;
  return pub;
}
