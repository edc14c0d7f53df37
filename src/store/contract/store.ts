import { TemporarilyUnavailableError, type HttpErrorOptions } from '../../util/http-error.js';

/**
 * The one storage interface every backend implements (memory for tests, SQLite by default, Redis for replicas).
 * Records live in named kinds (`User`, `Client`, `RefreshToken`, …) under string ids; groups are secondary
 * indexes (e.g. every token of one grant) so a whole family can be found and removed together.
 */
export interface StoredRecord<T> {
  value: T;
  /** When the record was consumed (ms since epoch), for single-use records such as codes and refresh tokens. */
  consumedAt?: number;
  /** When the record expires (ms since epoch); absent for records that live until deleted. */
  expiresAt?: number;
}

/**
 * One item of a whole-store export (see `Store.entries`): a record under its kind and id, with its consumed mark
 * and absolute expiry, or one membership of a group with its absolute expiry.
 */
export type StoreEntry =
  | { type: 'record'; kind: string; id: string; record: StoredRecord<unknown> }
  | { type: 'member'; group: string; member: string; expiresAt?: number };

export interface Store {
  /** The record, or undefined when it is absent or expired. */
  get<T>(kind: string, id: string): Promise<StoredRecord<T> | undefined>;
  /** Create or replace a record. A TTL makes it disappear after that many seconds. Replacing keeps no consumed mark. */
  set(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<void>;
  delete(kind: string, id: string): Promise<void>;
  /**
   * Atomically mark a record consumed. Resolves true for exactly one caller, however many race;
   * false when it was already consumed, is absent or expired. The record stays readable (with `consumedAt`).
   */
  consume(kind: string, id: string): Promise<boolean>;
  /** Every live record of a kind, in no particular order. */
  list<T>(kind: string): Promise<Array<{ id: string } & StoredRecord<T>>>;
  /** Add a member to a group; the membership expires with the TTL when one is given. */
  addToGroup(group: string, member: string, ttlSeconds?: number): Promise<void>;
  /** The live members of a group. */
  members(group: string): Promise<string[]>;
  /** Remove a group and all its memberships (not the records the members name). */
  deleteGroup(group: string): Promise<void>;
  /**
   * In one atomic step, delete every record the group's members name and the group itself. Members name
   * records as `<kind>:<id>` (split at the first colon), e.g. every token of a grant under `grant:<id>`.
   */
  purgeGroup(group: string): Promise<void>;
  /** Create a record only when none is live under that kind and id; true for exactly one of racing callers. */
  setIfAbsent(kind: string, id: string, value: unknown, ttlSeconds?: number): Promise<boolean>;
  /**
   * Count one more hit in a fixed window (rate limits): the count so far in this window and the milliseconds
   * until it resets. The window starts with the first hit and the counter disappears when it ends.
   */
  increment(counter: string, windowSeconds: number): Promise<{ count: number; resetInMs: number }>;
  /**
   * Every live record (of every kind) and every live group membership, streamed in batches so a large store
   * never has to fit in memory; rate-limit counters are left out (they are ephemeral). Meant for moving a
   * deployment between backends (`copyStore`). Each entry is read consistently, but the stream as a whole is not
   * a snapshot: writes made while it runs may or may not show up, and each entry is reported at most once.
   * Expiry is checked when an entry is read, so a consumer must still allow for it running out afterwards.
   */
  entries(): AsyncIterable<StoreEntry>;
  /** Throws when the backend cannot be reached (so callers can answer 503 instead of guessing). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The backend could not be reached or did not answer: answer 503 and retry later, never guess. */
export class StoreUnavailableError extends TemporarilyUnavailableError {
  override readonly name: string = 'StoreUnavailableError';
  // The message names the backend and its trouble, for the logs; the client hears only this.
  constructor(message: string, options?: HttpErrorOptions) {
    super(message, { description: 'The server cannot reach its store; try again shortly', ...options });
  }
}
