import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Store } from '../../store/contract/store.js';
import { Sealer } from '../../util/sealer.js';
import { UpstreamError, type UpstreamSource, type UpstreamTokens } from './source.js';

interface VaultRecord {
  /** The token set, sealed (AES-256-GCM) and bound to this record's id. */
  sealed: string;
  /** When the sealed set was written (ms); replicas waiting on a refresh watch it change. */
  updatedAt: number;
}

const KIND = 'UpstreamTokens';
const LOCK = 'UpstreamRefreshLock';
const group = (userId: string) => `upstream-tokens:${userId}`;
const recordId = (userId: string, source: string) => `${userId}|${source}`;
/** Refresh this long before the provider's expiry, so a token handed to a tool is still good when it is used. */
const REFRESH_MARGIN_MS = 60_000;
/** How long one replica may hold the refresh lock; a replica that dies holding it blocks no one longer. */
const LOCK_SECONDS = 30;
const WAIT_STEP_MS = 50;

/** The person must sign in at the provider again: there is no usable upstream token for them. */
export class UpstreamReauthenticationRequired extends UpstreamError {}

/**
 * Upstream tokens, per person and source: sealed at rest under the rotatable vault key, never returned to
 * clients, and refreshed on demand — once, however many tool calls ask at the same moment, on any replica.
 */
export class UpstreamVault {
  #sealer: Sealer;
  readonly #inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly store: Store,
    private readonly sources: ReadonlyMap<string, UpstreamSource>,
    vaultSecrets: readonly string[],
    private readonly logger: Logger,
  ) {
    this.#sealer = new Sealer(vaultSecrets, 'upstream-token-vault');
  }

  /** Use rotated keys: new sets are sealed under the newest, older sets still open and are sealed again on use. */
  useKeys(vaultSecrets: readonly string[]): void {
    this.#sealer = new Sealer(vaultSecrets, 'upstream-token-vault');
  }

  async save(userId: string, source: string, tokens: UpstreamTokens): Promise<void> {
    const id = recordId(userId, source);
    const record: VaultRecord = { sealed: this.#sealer.seal(JSON.stringify(tokens), id), updatedAt: Date.now() };
    await this.store.set(KIND, id, record);
    await this.store.addToGroup(group(userId), source);
  }

  /** Whether this person has tokens from this source. */
  async has(userId: string, source: string): Promise<boolean> {
    return (await this.store.get(KIND, recordId(userId, source))) !== undefined;
  }

  /** A current access token for this person at this source, refreshed first when it is about to expire. */
  async accessToken(userId: string, source: string): Promise<string> {
    const id = recordId(userId, source);
    const current = await this.#read(id);
    if (!expiring(current.tokens)) return current.tokens.accessToken;
    // One refresh per record in this process; the store lock extends that to every replica.
    let pending = this.#inFlight.get(id);
    if (!pending) {
      pending = this.#refresh(userId, source, current.updatedAt).finally(() => this.#inFlight.delete(id));
      this.#inFlight.set(id, pending);
    }
    return pending;
  }

  /** Forget this person's tokens (from one source, or all), telling each provider to revoke them where it can. */
  async drop(userId: string, source?: string): Promise<void> {
    const names = source ? [source] : await this.store.members(group(userId));
    for (const name of names) {
      const id = recordId(userId, name);
      const tokens = await this.#read(id)
        .then((r) => r.tokens)
        .catch(() => undefined);
      await this.store.delete(KIND, id);
      const upstream = this.sources.get(name);
      if (tokens && upstream?.revoke) {
        await upstream
          .revoke(tokens)
          .catch((error: unknown) =>
            this.logger.warn({ event: 'upstream.revoke_failed', source: name, reason: (error as Error).message }, 'upstream revocation failed'),
          );
      }
    }
    if (!source) await this.store.deleteGroup(group(userId));
  }

  async #read(id: string): Promise<{ tokens: UpstreamTokens; updatedAt: number }> {
    const record = await this.store.get<VaultRecord>(KIND, id);
    if (!record) throw new UpstreamReauthenticationRequired('No upstream sign-in is on record: sign in again');
    let opened: { plaintext: string; stale: boolean };
    try {
      opened = this.#sealer.unseal(record.value.sealed, id);
    } catch (error) {
      // A retired key or a tampered record: fail closed, the person signs in again.
      this.logger.warn({ event: 'upstream.vault_unreadable', reason: (error as Error).message }, 'upstream tokens cannot be opened');
      throw new UpstreamReauthenticationRequired('The stored upstream sign-in can no longer be read: sign in again');
    }
    const tokens = JSON.parse(opened.plaintext) as UpstreamTokens;
    if (opened.stale) await this.#sealAgain(id, record.value);
    return { tokens, updatedAt: record.value.updatedAt };
  }

  /**
   * Seal a record read under an older key with the current one, so it outlives that key's retirement. Done under
   * the refresh lock and only if nobody rewrote the record meanwhile; when the lock is busy, a later read does it.
   */
  async #sealAgain(id: string, seen: VaultRecord): Promise<void> {
    if (!(await this.store.setIfAbsent(LOCK, id, randomUUID(), LOCK_SECONDS))) return;
    try {
      const latest = await this.store.get<VaultRecord>(KIND, id);
      if (latest?.value.sealed !== seen.sealed) return;
      const { plaintext } = this.#sealer.unseal(seen.sealed, id);
      await this.store.set(KIND, id, { sealed: this.#sealer.seal(plaintext, id), updatedAt: seen.updatedAt } satisfies VaultRecord);
    } finally {
      await this.store.delete(LOCK, id);
    }
  }

  async #refresh(userId: string, source: string, seenAt: number): Promise<string> {
    const id = recordId(userId, source);
    const upstream = this.sources.get(source);
    if (!upstream) throw new UpstreamReauthenticationRequired(`The identity source "${source}" is no longer configured`);
    const owner = randomUUID();
    const deadline = Date.now() + LOCK_SECONDS * 1000;
    while (Date.now() < deadline) {
      if (await this.store.setIfAbsent(LOCK, id, owner, LOCK_SECONDS)) {
        try {
          // Another replica may have refreshed between our read and the lock.
          const latest = await this.#read(id);
          if (latest.updatedAt !== seenAt || !expiring(latest.tokens)) return latest.tokens.accessToken;
          if (!latest.tokens.refreshToken) {
            if (latest.tokens.expiresAt !== undefined && latest.tokens.expiresAt > Date.now()) return latest.tokens.accessToken;
            throw new UpstreamReauthenticationRequired(`The ${upstream.label} sign-in has expired: sign in again`);
          }
          let fresh: UpstreamTokens;
          try {
            fresh = await upstream.refresh(latest.tokens.refreshToken);
          } catch (error) {
            if (error instanceof UpstreamError && error.code === 'invalid_grant') {
              await this.store.delete(KIND, id);
              throw new UpstreamReauthenticationRequired(`${upstream.label} no longer accepts this sign-in: sign in again`);
            }
            throw error;
          }
          await this.save(userId, source, fresh);
          this.logger.info({ event: 'upstream.refreshed', source, subject: userId }, 'upstream token refreshed');
          return fresh.accessToken;
        } finally {
          await this.store.delete(LOCK, id);
        }
      }
      // Someone else is refreshing: wait for the record to change, then use what they wrote.
      await sleep(WAIT_STEP_MS);
      const latest = await this.#read(id);
      if (latest.updatedAt !== seenAt && !expiring(latest.tokens)) return latest.tokens.accessToken;
    }
    throw new UpstreamError(`Timed out waiting for another refresh of the ${upstream.label} token`);
  }
}

/**
 * The vault for these sources, sealed with this key material. One builder for the running server and the CLI
 * commands that drop a person's tokens, so both open the same records with the same keys.
 */
export function openUpstreamVault(store: Store, sources: readonly UpstreamSource[], keys: { cookies: string[] }, logger: Logger): UpstreamVault {
  return new UpstreamVault(store, new Map(sources.map((s) => [s.name, s])), vaultSecrets(keys), logger);
}

/** The vault's key material: the cookie-key generations (the vault stretches them for its own purpose). */
export function vaultSecrets(keys: { cookies: string[] }): string[] {
  return keys.cookies;
}

function expiring(tokens: UpstreamTokens): boolean {
  return tokens.expiresAt !== undefined && tokens.expiresAt - REFRESH_MARGIN_MS <= Date.now();
}
