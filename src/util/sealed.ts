import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) of secrets kept in a shared store, under a key derived from the
 * operator's `GATEHOUSE_SECRET`. A sealed value is `v1.<iv>.<ciphertext>.<tag>` (base64url parts).
 */
export class Sealer {
  readonly #key: Buffer;

  constructor(secret: string, purpose: string) {
    if (secret.length < 32) throw new Error('GATEHOUSE_SECRET must be at least 32 characters');
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'gatehouse', purpose, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  unseal(sealed: string): string {
    const [version, iv, ciphertext, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !ciphertext || !tag) throw new Error('not a sealed value');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('the sealed value does not open with this GATEHOUSE_SECRET');
    }
  }
}
