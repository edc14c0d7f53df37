import { errors } from 'oidc-provider';
import type { Store } from '../store/store.js';

/** The payload oidc-provider stores for every model (tokens, grants, sessions, interactions, clients…). */
type Payload = Record<string, unknown> & { grantId?: string; uid?: string; userCode?: string };

const grantGroup = (grantId: string) => `grant:${grantId}`;

/**
 * oidc-provider's storage adapter over the Gatehouse store: one instance per model name.
 * Single use (codes, refresh tokens) relies on the store's atomic `consume`, and every token of a grant is
 * indexed under the grant so revoking a grant removes its whole family.
 */
export function storeAdapter(store: Store) {
  return class StoreAdapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const ttl = expiresIn && expiresIn > 0 ? expiresIn : undefined;
      await store.set(this.model, id, payload, ttl);
      if (payload.grantId) await store.addToGroup(grantGroup(payload.grantId), `${this.model}:${id}`, ttl);
      if (payload.uid) await store.set(`${this.model}:uid`, payload.uid, { id }, ttl);
      if (payload.userCode) await store.set(`${this.model}:userCode`, payload.userCode, { id }, ttl);
    }

    async find(id: string): Promise<Payload | undefined> {
      const record = await store.get<Payload>(this.model, id);
      if (!record) return undefined;
      return record.consumedAt === undefined ? record.value : { ...record.value, consumed: Math.floor(record.consumedAt / 1000) };
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
     * read "not consumed"; the store's atomic consume lets only one through and the other gets `invalid_grant`.
     */
    async consume(id: string): Promise<void> {
      if (!(await store.consume(this.model, id))) throw new errors.InvalidGrant('grant already used');
    }

    async destroy(id: string): Promise<void> {
      await store.delete(this.model, id);
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
