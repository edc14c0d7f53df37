import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM under rotatable keys, each stretched with HKDF from a secret for one purpose. A sealed value names
 * the key that sealed it (`k1.<kid>.<iv>.<ciphertext>.<tag>`, base64url parts) and is bound to its context
 * (associated data), so a value copied to another record does not open. Values sealed under a retired key fail
 * closed.
 *
 * Earlier versions sealed the stored keys record as `v1.<iv>.<ciphertext>.<tag>`, under the same derived key but
 * without a key id or context; a sealer built with `readV1` still opens those (as stale, to be sealed again).
 */
export class Sealer {
  readonly #keys: Map<string, Buffer>;
  readonly #current: string;
  readonly #readV1: boolean;

  /** `secrets` newest first; each is stretched with HKDF for this `purpose`, so one secret serves several jobs. */
  constructor(secrets: readonly string[], purpose: string, options: { readV1?: boolean } = {}) {
    if (secrets.length === 0) throw new Error('at least one key is needed');
    const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, 'gatehouse', purpose, 32)));
    this.#keys = new Map(keys.map((key) => [keyId(key), key]));
    this.#current = keyId(keys[0]!);
    this.#readV1 = options.readV1 ?? false;
  }

  get currentKeyId(): string {
    return this.#current;
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#current)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['k1', this.#current, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext, and whether it was sealed under an older key or format (worth sealing again). Throws when it cannot open. */
  unseal(sealed: string, context: string): { plaintext: string; stale: boolean } {
    if (this.#readV1 && sealed.startsWith('v1.')) return this.#unsealV1(sealed);
    const [version, kid, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'k1' || !kid || !iv || ciphertext === undefined || !tag) throw new Error('not a sealed value');
    const key = this.#keys.get(kid);
    if (!key) throw new Error(`sealed under key ${kid}, which is no longer kept`);
    const plaintext = open(key, iv, ciphertext, tag, context);
    if (plaintext === undefined) throw new Error('the sealed value was altered or belongs to another record');
    return { plaintext, stale: kid !== this.#current };
  }

  /** The earlier format names no key: any key kept may have sealed it. */
  #unsealV1(sealed: string): { plaintext: string; stale: boolean } {
    const [, iv, ciphertext, tag] = sealed.split('.');
    if (!iv || !ciphertext || !tag) throw new Error('not a sealed value');
    for (const key of this.#keys.values()) {
      const plaintext = open(key, iv, ciphertext, tag);
      if (plaintext !== undefined) return { plaintext, stale: true };
    }
    throw new Error('the sealed value was altered or does not open with the keys kept');
  }
}

/** The plaintext, or undefined when the key, the context or the value is wrong (GCM authentication failed). */
function open(key: Buffer, iv: string, ciphertext: string, tag: string, context?: string): string | undefined {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
  try {
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}
