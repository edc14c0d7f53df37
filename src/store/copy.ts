import type { Store, StoreEntry } from './contract/store.js';

/** Running totals of a copy. */
export interface CopyProgress {
  /** Records written to the target (a consumed one counts once, with its mark). */
  records: number;
  /** Group memberships written to the target. */
  members: number;
  /** Entries that expired between being read from the source and being written, so were left out. */
  skipped: number;
}

export type CopyResult = CopyProgress;

export interface CopyOptions {
  /**
   * Called with the totals so far each time an entry has been written or skipped (completion order, not read
   * order). Throwing from it stops the copy with that error.
   */
  onProgress?: (progress: Readonly<CopyProgress>) => void;
  /** How many entries may be written at once (default 16); more hides the round trips to a remote target. */
  concurrency?: number;
}

/**
 * Copy every live record and group membership of `from` into `to` (e.g. SQLite to Redis when a deployment
 * outgrows one machine, or back). Rate-limit counters are not copied: they are ephemeral.
 *
 * - Expiry: each record and membership keeps its absolute expiry (written as the TTL remaining at that moment);
 *   anything that has run out by then is skipped rather than written.
 * - Consumed marks: a consumed record is written and then consumed again on the target, so a spent code or
 *   refresh token stays spent. Its `consumedAt` becomes the time of the copy; only the mark itself is preserved.
 * - The target need not be empty. A record under the same kind and id as a source record is overwritten (value,
 *   expiry and consumed mark all replaced); records only the target has are left alone. Groups are merged:
 *   the source's memberships are added (a member already present takes the source's expiry), the target's other
 *   members stay.
 * - Idempotent: running it again with an unchanged source leaves the target in the same state (values,
 *   expiries and consumed marks; only `consumedAt` moves to the later copy's time).
 *
 * Stop the servers using the source first: writes made while the copy runs may or may not be carried over.
 * On an error the copy stops (after the writes already started have settled) and rejects; what was written so far
 * stays, and running it again completes it.
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<CopyResult> {
  if (from === to) throw new Error('cannot copy a store onto itself');
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const progress: CopyProgress = { records: 0, members: 0, skipped: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;

  const start = (entry: StoreEntry) => {
    const task = (async () => {
      try {
        const outcome = await writeEntry(to, entry);
        progress[outcome] += 1;
        options.onProgress?.({ ...progress });
      } catch (error) {
        failure ??= { error };
      }
    })();
    inFlight.add(task);
    void task.then(() => inFlight.delete(task));
  };

  try {
    for await (const entry of from.entries()) {
      if (failure) break;
      start(entry);
      // The tasks never reject (failures are recorded above), so racing them only waits for a free slot.
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) break;
    }
  } finally {
    // Also when reading the source failed: let the writes already under way finish before reporting.
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  return { ...progress };
}

/** Write one entry into the target; which total it counts towards. */
async function writeEntry(to: Store, entry: StoreEntry): Promise<keyof CopyProgress> {
  if (entry.type === 'member') {
    const ttl = remainingSeconds(entry.expiresAt);
    if (ttl === null) return 'skipped';
    await to.addToGroup(entry.group, entry.member, ttl);
    return 'members';
  }
  const { kind, id, record } = entry;
  const ttl = remainingSeconds(record.expiresAt);
  if (ttl === null) return 'skipped';
  // set() clears any consumed mark the target had under this kind and id, so the mark ends up as the source's.
  await to.set(kind, id, record.value, ttl);
  if (record.consumedAt !== undefined && !(await to.consume(kind, id))) {
    // Only possible when the record ran out between the two calls (or something else deleted or consumed it).
    const current = await to.get(kind, id);
    if (current === undefined) return 'skipped';
    if (current.consumedAt === undefined) throw new Error(`could not mark ${kind} ${JSON.stringify(id)} consumed in the target`);
  }
  return 'records';
}

/** Seconds left until an absolute expiry: undefined for none, null when it has already passed. */
function remainingSeconds(expiresAt: number | undefined): number | undefined | null {
  if (expiresAt === undefined) return undefined;
  const remainingMs = expiresAt - Date.now();
  return remainingMs > 0 ? remainingMs / 1000 : null;
}
