/**
 * Deleting a record that other writes depend on (a subnet holding interfaces,
 * a security group used by interfaces or named by rules), against those writes
 * running at once, without the writes touching the record (so that they never
 * conflict with each other). A dependent write only checks, in its own
 * transaction, that the record is still at the revision it read unmarked.
 * The deletion decides in two single-transaction steps:
 *
 * 1. mark the record as being deleted (`deletingSince`): an update, so every
 *    dependent write that read the old revision fails its check and re-reads;
 * 2. look for dependents (linearizable reads: they see every write that
 *    committed before the mark), then delete the record at the marked revision
 *    when there is none, or else clear the mark at that revision and answer
 *    DependencyViolation.
 *
 * No dependent write commits against a marked revision: one that reads a mark
 * waits and re-reads, then answers for the outcome (NotFound when the record
 * went). So whoever decides at the marked revision decides safely, and any
 * caller may: a mark older than `staleMarkMs` (its deletion died, or is very
 * slow) is finished by the first call that meets it, and a dependent write
 * waits at most `markWaitMs` before finishing the decision itself. Concurrent
 * deciders cannot both win: both end with compare-and-swap on the marked revision.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stored } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { txnOps } from './txn-ops.js';

/** A mark older than this is taken over by whoever meets it. */
export const staleMarkMs = 5_000;
/** A dependent write waits at most this long (monotonic time) for a deletion to decide. */
export const markWaitMs = 2_000;

export interface Markable {
  /** Set (ISO time) while a deletion decides whether the record is still depended on. */
  deletingSince?: string;
}

export interface MarkedDeletionSpec<T extends Markable> {
  /** The record as it is now; the kind's NotFound when absent. */
  read(accountId: string, id: string): Promise<Stored<T>>;
  /** The error naming what still depends on the record, or undefined when nothing does. */
  dependent(accountId: string, record: T): Promise<Error | undefined>;
  /** Other keys that go with the record (e.g. its name claim), deleted in the same transaction. */
  alsoDelete?(accountId: string, record: Stored<T>): Promise<TxnOp[]>;
}

export interface MarkedDeletion<T extends Markable> {
  /** Deletes the record: NotFound if absent, the dependent's error while something depends on it. */
  remove(accountId: string, id: string): Promise<void>;
  /**
   * The record, not being deleted, for a write that must not outlive it: the
   * write checks the returned revision in its own transaction. Waits out a
   * deletion in progress; NotFound if the record went.
   */
  forDependent(accountId: string, id: string): Promise<Stored<T>>;
}

/** The result of deciding a marked record: gone, kept (mark cleared), or changed meanwhile (read again). */
type Decision = { outcome: 'deleted' | 'changed' } | { outcome: 'kept'; because: Error };

export function createMarkedDeletion<T extends Markable>(
  store: Store,
  spec: MarkedDeletionSpec<T>,
  now: () => number = Date.now,
): MarkedDeletion<T> {
  async function decide(accountId: string, marked: Stored<T>): Promise<Decision> {
    const because = await spec.dependent(accountId, marked.value);
    if (because) {
      const { deletingSince: _, ...unmarked } = marked.value;
      const cleared = await store.txn([txnOps.update(marked, unmarked as T)]);
      return cleared.ok ? { outcome: 'kept', because } : { outcome: 'changed' };
    }
    const others = (await spec.alsoDelete?.(accountId, marked)) ?? [];
    const deleted = await store.txn([txnOps.delete(marked), ...others]);
    return { outcome: deleted.ok ? 'deleted' : 'changed' };
  }

  const markAge = (record: T) =>
    record.deletingSince === undefined ? 0 : now() - Date.parse(record.deletingSince);

  return {
    async remove(accountId, id) {
      for (;;) {
        const record = await spec.read(accountId, id);
        let marked = record;
        // Another deletion's mark, fresh or stale, is decided here as well: both decide at its revision.
        if (record.value.deletingSince === undefined) {
          const value = { ...record.value, deletingSince: new Date(now()).toISOString() };
          const written = await store.update(record.key, JSON.stringify(value), record.revision);
          if (!written.ok) continue;
          marked = { key: record.key, value, revision: written.revision };
        }
        const decision = await decide(accountId, marked);
        if (decision.outcome === 'deleted') return;
        if (decision.outcome === 'kept') throw decision.because;
      }
    },

    async forDependent(accountId, id) {
      const deadline = performance.now() + markWaitMs;
      for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
        const record = await spec.read(accountId, id);
        if (record.value.deletingSince === undefined) return record;
        if (markAge(record.value) >= staleMarkMs || performance.now() >= deadline) {
          await decide(accountId, record);
        } else {
          await sleep(pause);
        }
      }
    },
  };
}
