import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import type { Store } from '../store/contract/store.js';
import { HttpError } from '../util/http-error.js';

/** Proof algorithms accepted by default: asymmetric only (a proof signed with a shared secret proves nothing). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'] as const;

/** How far a proof's `iat` may be from now, either way, and so how long its `jti` is remembered. */
export const DPOP_PROOF_WINDOW_SECONDS = 60;

const MIN_NONCE_SECRET_BYTES = 32;
const MAX_JTI_LENGTH = 256;

export interface DpopOptions {
  /**
   * Accept only DPoP-bound tokens, each with a valid proof: a bearer token, however genuine, is refused.
   * Advertised as `dpop_bound_access_tokens_required` in the protected resource metadata. Default false: bound
   * tokens always need their proof, unbound tokens are accepted with the Bearer scheme.
   */
  required?: boolean;
  /** Accepted proof algorithms (asymmetric only). Default {@link DPOP_ALGORITHMS}. */
  algorithms?: string[];
  /**
   * Require a server-provided nonce in every proof (RFC 9449 §9), made from this secret (at least 32 bytes).
   * Give every replica the same secret: a nonce one replica hands out is good at the others.
   */
  nonceSecret?: string;
}

/**
 * The proof is at fault (`invalid_dpop_proof`), or a fresh nonce must be used (`use_dpop_nonce`, with `nonce`):
 * a 401 whose message the client is told. The bearer gate answers it, with the DPoP challenge (RFC 9449 §7.1).
 */
export class DpopProofError extends HttpError {
  override readonly name: string = 'DpopProofError';
  constructor(
    readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce',
    message: string,
    readonly nonce?: string,
  ) {
    super(401, error, message, nonce === undefined ? {} : { headers: { 'DPoP-Nonce': nonce } });
  }
}

/**
 * Checks the DPoP proofs (RFC 9449 §4.3, §7) that go with DPoP-bound access tokens at the MCP endpoint.
 * Each proof is used once: its `jti` is remembered in the store for the proof window, so replicas sharing the
 * store refuse a proof another replica has already accepted.
 */
export class DpopProofs {
  readonly required: boolean;
  readonly algorithms: readonly string[];
  readonly #expectedHtu: string;
  readonly #store: Store;
  readonly #nonceKey?: Buffer;

  constructor(options: DpopOptions & { resource: string; store: Store }) {
    this.required = options.required ?? false;
    this.algorithms = options.algorithms ?? [...DPOP_ALGORITHMS];
    if (this.algorithms.length === 0) throw new Error('dpop.algorithms must not be empty');
    for (const alg of this.algorithms) {
      if (!(DPOP_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new Error(`dpop: proof algorithm "${alg}" is not allowed (allowed: ${DPOP_ALGORITHMS.join(', ')})`);
      }
    }
    if (options.nonceSecret !== undefined) {
      this.#nonceKey = Buffer.from(options.nonceSecret);
      if (this.#nonceKey.byteLength < MIN_NONCE_SECRET_BYTES) throw new Error(`dpop.nonceSecret must be at least ${MIN_NONCE_SECRET_BYTES} bytes`);
    }
    // The public resource URL, not the Host header: behind a proxy the proof names what the client sees.
    this.#expectedHtu = new URL(options.resource).href;
    this.#store = options.store;
  }

  /** A nonce to hand out now (`DPoP-Nonce`), when nonces are configured. */
  currentNonce(nowSeconds = Date.now() / 1000): string | undefined {
    return this.#nonceKey && this.#nonceFor(Math.floor(nowSeconds / DPOP_PROOF_WINDOW_SECONDS));
  }

  /**
   * Check the proof sent with `token` (a token bound to the key whose thumbprint is `jkt`). `proof` is the
   * request's DPoP header as the Fetch API shows it (repeated headers joined by commas); `resource` the URL the
   * request addressed (on a local server, under the loopback name the client used), by default the public one.
   * Throws {@link DpopProofError}; a store that cannot be reached throws its own error (never an acceptance).
   */
  async check(proof: string | null, method: string, token: string, jkt: string, resource?: string): Promise<void> {
    if (proof === null || proof === '') throw new DpopProofError('invalid_dpop_proof', 'A DPoP proof is required with the DPoP scheme');
    // §4.3 (1): exactly one DPoP header. A compact JWS holds no comma, so one means several headers.
    if (proof.includes(',')) throw new DpopProofError('invalid_dpop_proof', 'Send exactly one DPoP header');
    const header = protectedHeaderOf(proof);
    const jwk = header.jwk;
    // §4.3 (7): the key must be public. A symmetric or private key in the header would be a shared secret.
    if (typeof jwk !== 'object' || jwk === null || 'd' in jwk || 'k' in jwk || jwk.kty === 'oct') {
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof must carry a public key');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...this.algorithms] }));
    } catch {
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof signature, type or algorithm is invalid');
    }

    const nowSeconds = Date.now() / 1000;
    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof has no valid jti');
    if (htm !== method) throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is for another HTTP method');
    if (typeof htu !== 'string' || !this.#htuMatches(htu, resource === undefined ? this.#expectedHtu : new URL(resource).href))
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is for another URL');
    if (typeof iat !== 'number' || !Number.isFinite(iat) || Math.abs(nowSeconds - iat) > DPOP_PROOF_WINDOW_SECONDS) {
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is too old or from the future');
    }
    // §4.3 (11), §7.1: the proof is for this very token.
    if (ath !== hash('sha256', token, 'base64url')) throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is for another access token');
    // §7.1: the key that signed the proof is the key the token is bound to.
    if ((await calculateJwkThumbprint(jwk as JWK, 'sha256')) !== jkt) {
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is signed with a key the token is not bound to');
    }
    if (this.#nonceKey) this.#checkNonce(payload['nonce'], nowSeconds);
    // Last, so only proofs that passed everything else take room in the store.
    const fresh = await this.#store.setIfAbsent('DpopProof', hash('sha256', `${jkt}.${jti}`, 'base64url'), 1, 2 * DPOP_PROOF_WINDOW_SECONDS + 1);
    if (!fresh) throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof was already used');
  }

  /** §4.3 (9): the URL without query and fragment; `URL` applies the §6.2.2/§6.2.3 normalisations (case, default port). */
  #htuMatches(htu: string, expected: string): boolean {
    const url = URL.parse(htu);
    if (url === null) return false;
    url.search = '';
    url.hash = '';
    return url.href === expected;
  }

  /** A nonce is good for the window it was made in and the next one; anything else gets a fresh one (§9). */
  #checkNonce(nonce: unknown, nowSeconds: number): void {
    const step = Math.floor(nowSeconds / DPOP_PROOF_WINDOW_SECONDS);
    const valid = typeof nonce === 'string' && (sameString(nonce, this.#nonceFor(step)) || sameString(nonce, this.#nonceFor(step - 1)));
    if (!valid) throw new DpopProofError('use_dpop_nonce', 'Use the DPoP nonce this server provides', this.#nonceFor(step));
  }

  #nonceFor(step: number): string {
    const stamp = step.toString(36);
    return `${stamp}.${createHmac('sha256', this.#nonceKey!).update(`dpop-nonce:${stamp}`).digest('base64url')}`;
  }
}

function protectedHeaderOf(proof: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(proof);
  } catch {
    throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is not a JWT');
  }
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
