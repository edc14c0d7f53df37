import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sealer } from '../../src/util/sealer.js';

const OLD_SECRET = 'old-secret-0123456789abcdef0123456789abcdef';
const NEW_SECRET = 'new-secret-fedcba9876543210fedcba9876543210';
const PURPOSE = 'keyed-sealer-test';
/** A value sealed by the earlier, unkeyed format (`v1.<iv>.<ciphertext>.<tag>`) under V1_SECRET for purpose `keys`. */
const V1_SECRET = 'legacy-secret-0123456789abcdef0123456789';
const V1_SEALED = 'v1.zelf9Eon0yFHI8Fe.vDUu6IP-a20JnKnw8P4GAMcR2pl2LHV8A6NTb0qnow.zskL9x7o63-VAQkS3uNGnA';
const V1_PLAINTEXT = JSON.stringify({ signing: [], cookies: ['c1'] });
const PLAINTEXT = JSON.stringify({ accessToken: 'gho_plaintextAccessToken123', refreshToken: 'ghr_plaintextRefreshToken456' });

/** The parts of a sealed value: `k1.<kid>.<iv>.<ciphertext>.<tag>`. */
function parts(sealed: string): { version: string; kid: string; iv: string; ciphertext: string; tag: string } {
  const [version, kid, iv, ciphertext, tag, ...rest] = sealed.split('.');
  assert.equal(rest.length, 0, `five dot-separated parts in ${sealed}`);
  return { version: version!, kid: kid!, iv: iv!, ciphertext: ciphertext!, tag: tag! };
}

/** Flip one character of a base64url string to another valid base64url character. */
function flip(text: string, index: number): string {
  const c = text[index]!;
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}

describe('Sealer', () => {
  it('opens what it sealed, for the same context', () => {
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    const sealed = sealer.seal(PLAINTEXT, 'user-1|github');
    assert.deepEqual(sealer.unseal(sealed, 'user-1|github'), { plaintext: PLAINTEXT, stale: false });
    // Another instance built from the same secret opens it too (nothing lives only in memory).
    assert.deepEqual(new Sealer([OLD_SECRET], PURPOSE).unseal(sealed, 'user-1|github'), { plaintext: PLAINTEXT, stale: false });
  });

  it('round-trips non-ASCII text and text with dots', () => {
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    for (const text of ['ünïcødé ✓ 🔑', 'a.b.c.d.e', 'x']) {
      assert.equal(sealer.unseal(sealer.seal(text, 'ctx'), 'ctx').plaintext, text);
    }
  });

  it('opens an empty plaintext it sealed', () => {
    // seal('') succeeds and yields an empty ciphertext part (`k1.<kid>.<iv>..<tag>`); unseal must accept it.
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    const sealed = sealer.seal('', 'ctx');
    assert.deepEqual(sealer.unseal(sealed, 'ctx'), { plaintext: '', stale: false });
  });

  it('names its key id in the sealed text and contains no plaintext', () => {
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    const sealed = sealer.seal(PLAINTEXT, 'user-1|github');
    const { version, kid, iv, ciphertext, tag } = parts(sealed);
    assert.equal(version, 'k1');
    assert.equal(kid, sealer.currentKeyId);
    assert.ok(iv && ciphertext && tag);
    for (const secret of ['gho_plaintextAccessToken123', 'ghr_plaintextRefreshToken456', 'accessToken', OLD_SECRET]) {
      assert.ok(!sealed.includes(secret), `the sealed text does not contain ${secret}`);
    }
    // Nor does it decode to it: the base64url parts are ciphertext, not an encoding of the plaintext.
    const decoded = Buffer.from(ciphertext, 'base64url').toString('latin1');
    assert.ok(!decoded.includes('gho_plaintextAccessToken123'));
  });

  it('uses a fresh IV every time: sealing the same value twice gives different texts', () => {
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    const a = sealer.seal(PLAINTEXT, 'ctx');
    const b = sealer.seal(PLAINTEXT, 'ctx');
    assert.notEqual(a, b);
    assert.notEqual(parts(a).iv, parts(b).iv);
  });

  it('derives different keys for different purposes from one secret', () => {
    const vault = new Sealer([OLD_SECRET], 'purpose-a');
    const other = new Sealer([OLD_SECRET], 'purpose-b');
    assert.notEqual(vault.currentKeyId, other.currentKeyId);
    assert.throws(() => other.unseal(vault.seal(PLAINTEXT, 'ctx'), 'ctx'), /no longer kept/);
  });

  it('does not open a value sealed for context A under context B', () => {
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    const sealed = sealer.seal(PLAINTEXT, 'user-a|github');
    assert.throws(() => sealer.unseal(sealed, 'user-b|github'), /altered or belongs to another record/);
    assert.throws(() => sealer.unseal(sealed, 'user-a|google'), /altered or belongs to another record/);
    assert.throws(() => sealer.unseal(sealed, ''), /altered or belongs to another record/);
  });

  it('refuses a tampered value, whichever part was changed', () => {
    const sealer = new Sealer([OLD_SECRET], PURPOSE);
    const sealed = sealer.seal(PLAINTEXT, 'ctx');
    const p = parts(sealed);
    const join = (q: typeof p) => [q.version, q.kid, q.iv, q.ciphertext, q.tag].join('.');
    const tampered: Record<string, string> = {
      version: join({ ...p, version: 'k2' }),
      kid: join({ ...p, kid: flip(p.kid, 0) }),
      'iv (first char)': join({ ...p, iv: flip(p.iv, 0) }),
      'ciphertext (first char)': join({ ...p, ciphertext: flip(p.ciphertext, 0) }),
      'ciphertext (middle char)': join({ ...p, ciphertext: flip(p.ciphertext, Math.floor(p.ciphertext.length / 2)) }),
      'ciphertext (truncated)': join({ ...p, ciphertext: p.ciphertext.slice(0, -4) }),
      'tag (first char)': join({ ...p, tag: flip(p.tag, 0) }),
      'tag (truncated)': join({ ...p, tag: p.tag.slice(0, 8) }),
      'missing part': [p.version, p.kid, p.iv, p.ciphertext].join('.'),
      'empty string': '',
      'not sealed': PLAINTEXT,
    };
    for (const [what, value] of Object.entries(tampered)) {
      assert.throws(() => sealer.unseal(value, 'ctx'), Error, `tampering with the ${what} is detected`);
    }
    // And a byte-level flip in the raw ciphertext (not just the encoding) fails too.
    const raw = Buffer.from(p.ciphertext, 'base64url');
    raw[0]! ^= 0x01;
    assert.throws(() => sealer.unseal(join({ ...p, ciphertext: raw.toString('base64url') }), 'ctx'), /altered/);
    // The untouched value still opens.
    assert.equal(sealer.unseal(sealed, 'ctx').plaintext, PLAINTEXT);
  });

  it('after rotation opens old values as stale and seals new ones under the new key', () => {
    const before = new Sealer([OLD_SECRET], PURPOSE);
    const oldSealed = before.seal(PLAINTEXT, 'ctx');
    const rotated = new Sealer([NEW_SECRET, OLD_SECRET], PURPOSE);
    assert.notEqual(rotated.currentKeyId, before.currentKeyId);
    assert.deepEqual(rotated.unseal(oldSealed, 'ctx'), { plaintext: PLAINTEXT, stale: true });

    const newSealed = rotated.seal(PLAINTEXT, 'ctx');
    assert.equal(parts(newSealed).kid, rotated.currentKeyId);
    assert.equal(parts(oldSealed).kid, before.currentKeyId);
    assert.deepEqual(rotated.unseal(newSealed, 'ctx'), { plaintext: PLAINTEXT, stale: false });
    // The key id depends only on the secret (and purpose): the new key's id is the same as a fresh sealer's.
    assert.equal(rotated.currentKeyId, new Sealer([NEW_SECRET], PURPOSE).currentKeyId);
    // Context binding still holds for stale values.
    assert.throws(() => rotated.unseal(oldSealed, 'other'), /altered or belongs to another record/);
  });

  it('fails closed, with a clear error, for values sealed under a key it no longer has', () => {
    const oldSealed = new Sealer([OLD_SECRET], PURPOSE).seal(PLAINTEXT, 'ctx');
    const retired = new Sealer([NEW_SECRET], PURPOSE);
    assert.throws(
      () => retired.unseal(oldSealed, 'ctx'),
      (error: Error) => error.message === `sealed under key ${parts(oldSealed).kid}, which is no longer kept` && !error.message.includes('gho_'),
    );
  });

  it('needs at least one secret', () => {
    assert.throws(() => new Sealer([], PURPOSE), /at least one key/);
  });

  it('opens values in the earlier v1 format only when asked to, as stale, with any key kept', () => {
    assert.throws(() => new Sealer([V1_SECRET], 'keys').unseal(V1_SEALED, 'ctx'), /not a sealed value/);
    assert.deepEqual(new Sealer([V1_SECRET], 'keys', { readV1: true }).unseal(V1_SEALED, 'Keys|current'), { plaintext: V1_PLAINTEXT, stale: true });
    // After a rotation of the secret the older key still opens it.
    assert.equal(new Sealer([NEW_SECRET, V1_SECRET], 'keys', { readV1: true }).unseal(V1_SEALED, 'ctx').plaintext, V1_PLAINTEXT);
    // Another secret or purpose does not, nor does a tampered value.
    assert.throws(() => new Sealer([NEW_SECRET], 'keys', { readV1: true }).unseal(V1_SEALED, 'ctx'), /does not open/);
    assert.throws(() => new Sealer([V1_SECRET], 'vault', { readV1: true }).unseal(V1_SEALED, 'ctx'), /does not open/);
    const [version, iv, ciphertext, tag] = V1_SEALED.split('.') as [string, string, string, string];
    assert.throws(() => new Sealer([V1_SECRET], 'keys', { readV1: true }).unseal([version, iv, flip(ciphertext, 0), tag].join('.'), 'ctx'), /altered/);
    assert.throws(() => new Sealer([V1_SECRET], 'keys', { readV1: true }).unseal('v1.only', 'ctx'), /not a sealed value/);
    // What it seals is in the current format, bound to its context.
    const resealed = new Sealer([V1_SECRET], 'keys', { readV1: true }).seal(V1_PLAINTEXT, 'Keys|current');
    assert.equal(parts(resealed).version, 'k1');
  });
});
