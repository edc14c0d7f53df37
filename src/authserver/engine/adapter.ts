import { errors } from 'oidc-provider';
import type { Store } from '../../store/contract/store.js';
import { tokenHash } from '../../resource/token-cache.js';
import { hashClientSecret } from '../clients/secrets.js';
import { indexSession } from '../people/session-index.js';

/** The payload oidc-provider stores for every model (tokens, grants, sessions, interactions, clients…). */
type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string; accountId?: string };

const grantGroup = (grantId: string) => `grant:${grantId}`;

/**
 * Models whose id is itself a bearer credential (the code or refresh token the client holds). They are stored
 * under the id's SHA-256 and without the id in the payload, so a copy of the store holds no usable token.
 */
const CREDENTIAL_MODELS = new Set(['AuthorizationCode', 'RefreshToken', 'AccessToken', 'ClientCredentials', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/**
 * oidc-provider's storage adapter over the Gatehouse store: one instance per model name.
 * Single use (codes, refresh tokens) relies on the store's atomic `consume`, and every token of a grant is
 * indexed under the grant so revoking a grant removes its whole family.
 */
export function storeAdapter(store: Store) {
  return class StoreAdapter {
    readonly #hashed: boolean;

    constructor(readonly model: string) {
      this.#hashed = CREDENTIAL_MODELS.has(model);
    }

    /** Where a record lives: its id, or the id's hash for credential models. */
    #key(id: string): string {
      return this.#hashed ? tokenHash(id) : id;
    }

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const ttl = expiresIn && expiresIn > 0 ? expiresIn : undefined;
      const key = this.#key(id);
      const stored = this.#hashed
        ? { ...payload, jti: undefined }
        : this.model === 'Client' && typeof payload['client_secret'] === 'string'
          ? { ...payload, client_secret: hashClientSecret(payload['client_secret']) }
          : payload;
      // Issued together: one round trip's wait on Redis, one group commit on SQLite.
      await Promise.all([
        store.set(this.model, key, stored, ttl),
        payload.grantId && store.addToGroup(grantGroup(payload.grantId), `${this.model}:${key}`, ttl),
        payload.uid && store.set(`${this.model}:uid`, payload.uid, { id }, ttl),
        payload.userCode && store.set(`${this.model}:userCode`, payload.userCode, { id }, ttl),
        // A signed-in browser session, so disabling the person or changing their password can end it.
        this.model === 'Session' && payload.accountId && indexSession(store, payload.accountId, this.model, key, ttl),
      ]);
    }

    async find(id: string): Promise<Payload | undefined> {
      const record = await store.get<Payload>(this.model, this.#key(id));
      if (!record) return undefined;
      const value = this.#hashed ? { ...record.value, jti: id } : record.value;
      return record.consumedAt === undefined ? value : { ...value, consumed: Math.floor(record.consumedAt / 1000) };
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const index = await store.get<{ id: string }>(`${this.model}:uid`, uid);
      return index ? this.find(index.value.id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      const index = await store.get<{ id: string }>(`${this.model}:userCode`, userCode);
      return index ? this.find(index.value.id) : undefined;
    }

    /**
     * oidc-provider reads `consumed`, then calls this before issuing tokens. Two racing redemptions can both
     * read "not consumed"; the store's atomic consume lets only one through. The other is a replay like any
     * later one (RFC 9700 §4.14.2, OAuth 2.1 §4.1.3): the grant is revoked, so the winner's tokens die too
     * whichever request finishes first (the verifier and the refresh grant both need the grant record).
     */
    async consume(id: string): Promise<void> {
      if (await store.consume(this.model, this.#key(id))) return;
      const grantId = (await store.get<Payload>(this.model, this.#key(id)))?.value.grantId;
      if (grantId) await grantRevoker(store)(grantId);
      throw new errors.InvalidGrant(`${this.model === 'RefreshToken' ? 'refresh token' : 'authorization code'} already used`);
    }

    async destroy(id: string): Promise<void> {
      await store.delete(this.model, this.#key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const members = await store.members(grantGroup(grantId));
      await Promise.all(
        members.map((member) => {
          const separator = member.indexOf(':');
          return store.delete(member.slice(0, separator), member.slice(separator + 1));
        }),
      );
      await store.deleteGroup(grantGroup(grantId));
    }
  };
}

/** Revoke a grant outright: the grant itself and every code and token issued under it. */
export function grantRevoker(store: Store): (grantId: string) => Promise<void> {
  const grants = new (storeAdapter(store))('Grant');
  return async (grantId) => {
    await grants.destroy(grantId);
    await grants.revokeByGrantId(grantId);
  };
}
