import { createHash } from 'node:crypto';
import type Provider from 'oidc-provider';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { Store } from '../../store/contract/store.js';
import { MACHINE_TOKEN_CLAIM, MACHINE_TOKEN_GRANT } from '../tokens/machine-token.js';

/** How far ahead a `private_key_jwt` assertion may expire: short-lived, so a leaked one is soon worthless. */
export const MAX_ASSERTION_SECONDS = 300;

/**
 * For the JWT customizer: mark a client_credentials token. A request whose scopes were all outside the client's
 * allowance (and so dropped) is refused rather than answered with a token that could call nothing
 * (RFC 6749 §3.3: use a default or fail with invalid_scope).
 */
export function markMachineToken(token: { kind?: string; scope?: string }, payload: Record<string, unknown>): boolean {
  if (token.kind !== 'ClientCredentials') return false;
  if (!token.scope) throw new errors.InvalidScope('name at least one scope this client is allowed', '');
  payload[MACHINE_TOKEN_CLAIM] = MACHINE_TOKEN_GRANT;
  return true;
}

/** The engine's hook on a verified client assertion: on top of its own checks, refuse a long-lived one. */
export async function assertShortLivedAssertion(_ctx: KoaContextWithOIDC, claims: Record<string, unknown>): Promise<void> {
  const exp = claims['exp'];
  const now = Math.floor(Date.now() / 1000);
  if (typeof exp !== 'number' || exp - now > MAX_ASSERTION_SECONDS) {
    throw new errors.InvalidClientAuth(`client assertions must expire within ${MAX_ASSERTION_SECONDS} seconds`);
  }
}

/**
 * One use per assertion `jti` (RFC 7523 §3), and per DPoP proof at the token endpoint, across every replica.
 * oidc-provider's own check reads and then writes, so two replicas could both accept one assertion; the store's
 * `setIfAbsent` lets exactly one caller through. The record lives until the assertion expires.
 */
export function singleUseAssertions(provider: Provider, store: Store): void {
  Object.defineProperty(provider.ReplayDetection, 'unique', {
    value: async (iss: string, jti: string, exp: number): Promise<boolean> => {
      const id = createHash('sha256')
        .update(JSON.stringify([iss, jti]))
        .digest('base64url');
      const ttl = Math.max(1, Math.ceil(exp - Date.now() / 1000));
      return store.setIfAbsent('ReplayDetection', id, 1, ttl);
    },
  });
}

/** Lifetimes of the tokens the engine issues, in seconds. */
export interface TokenLifetimes {
  accessToken: number;
  clientCredentials: number;
  /** Absolute: the grant, and every refresh token of it, ends this long after sign-in however often it is used. */
  refreshToken: number;
  /** Idle: a refresh token unused this long expires (each rotation starts a new one); never past the absolute end. */
  refreshTokenIdle: number;
}

/** A refresh token's lifetime: the idle lifetime, cut short where the sign-in's absolute lifetime ends first. */
export function refreshTokenTtl(lifetimes: TokenLifetimes): (ctx: unknown, token: { iiat?: number }) => number {
  const idle = Math.min(lifetimes.refreshTokenIdle, lifetimes.refreshToken);
  return (_ctx, token) => {
    const age = token.iiat === undefined ? 0 : Math.floor(Date.now() / 1000) - token.iiat;
    return Math.max(1, Math.min(idle, lifetimes.refreshToken - age));
  };
}
