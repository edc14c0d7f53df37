import type { Store } from '../../store/contract/store.js';

/**
 * Every browser session of a person, indexed in the store so any replica (or the CLI) can end them all:
 * the account page's sessions and oidc-provider's own. Members name their records as `<kind>:<id>`.
 */
const sessionsOf = (userId: string) => `sessions:${userId}`;

/** Note a session record of this person; the membership lapses with the session. */
export async function indexSession(store: Store, userId: string, kind: string, id: string, ttlSeconds?: number): Promise<void> {
  await store.addToGroup(sessionsOf(userId), `${kind}:${id}`, ttlSeconds);
}

/**
 * End every session of this person at once (disabled, password changed, removed): the next request of any
 * browser holding one of their cookies finds no session and must sign in again.
 */
export async function endSessionsOf(store: Store, userId: string): Promise<void> {
  await store.purgeGroup(sessionsOf(userId));
}
