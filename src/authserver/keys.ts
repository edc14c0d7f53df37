import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { writeFileDurably } from '../util/durable-file.js';

/**
 * The authorization server's key material: signing keys (ES256 for access tokens, RS256 for ID tokens,
 * which OIDC clients expect by default) and cookie-signing secrets. Created on first start in the data
 * directory (mode 0600), or taken from the environment. Rotation puts a new generation first and keeps
 * the previous one, so tokens it signed stay verifiable until they expire.
 */
export interface KeyMaterial {
  /** Private JWKs, newest first. */
  signing: JWK[];
  /** Cookie-signing secrets, newest first. */
  cookies: string[];
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
  const secrets = cookies.split(',').map((s) => s.trim()).filter(Boolean);
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

/** The material after a rotation: a new generation first, generations older than the previous one dropped. */
export async function rotated(existing: KeyMaterial): Promise<{ material: KeyMaterial; current: string[]; retired: string[] }> {
  const generation = await newKeyGeneration();
  const signing = [...generation.signing, ...existing.signing];
  const kept = signing.slice(0, generation.signing.length * GENERATIONS);
  return {
    material: { signing: kept, cookies: [generation.cookie, ...existing.cookies].slice(0, GENERATIONS) },
    current: generation.signing.map((k) => k.kid!),
    retired: signing.slice(kept.length).map((k) => k.kid!),
  };
}

/** Rotate the key file in the data directory. */
export async function rotateKeys(dataDir: string): Promise<{ current: string[]; retired: string[] }> {
  const { material, current, retired } = await rotated(await loadOrCreateKeys(dataDir));
  writeFileDurably(keysFile(dataDir), JSON.stringify(material, null, 2));
  return { current, retired };
}

/** The public half of a private JWK. */
export function publicJwk(key: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = key;
  return pub;
}
