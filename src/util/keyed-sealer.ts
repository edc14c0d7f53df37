import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM under rotatable keys. Each sealed value names the key that sealed it
 * (`k1.<kid>.<iv>.<ciphertext>.<tag>`) and is bound to its context (associated data), so a value copied to
 * another record does not open. Values sealed under a retired key fail closed.
 */
export class KeyedSealer {
  readonly #keys: Map<string, Buffer>;
  readonly #current: string;

  /** `secrets` newest first; each is stretched with HKDF for this `purpose`, so one secret serves several jobs. */
  constructor(secrets: readonly string[], purpose: string) {
    if (secrets.length === 0) throw new Error('at least one key is needed');
    const keys = secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, 'gatehouse', purpose, 32)));
    this.#keys = new Map(keys.map((key) => [keyId(key), key]));
    this.#current = keyId(keys[0]!);
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

  /** The plaintext, and whether it was sealed under an older key (worth sealing again). Throws when it cannot open. */
  unseal(sealed: string, context: string): { plaintext: string; stale: boolean } {
    const [version, kid, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'k1' || !kid || !iv || ciphertext === undefined || !tag) throw new Error('not a sealed value');
    const key = this.#keys.get(kid);
    if (!key) throw new Error(`sealed under key ${kid}, which is no longer kept`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      return { plaintext, stale: kid !== this.#current };
    } catch {
      throw new Error('the sealed value was altered or belongs to another record');
    }
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}
