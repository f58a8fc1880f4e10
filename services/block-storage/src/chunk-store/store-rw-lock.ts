/**
 * A readers-writer lock across processes, on the region's store (etcd), for a
 * chunk store that several block-storage replicas share (an S3 bucket): their
 * snapshots and restores share it, and freeing blocks (deleting a snapshot,
 * collecting garbage) takes it alone, so no replica frees a block that another
 * replica's snapshot in flight has just stored or found stored.
 *
 * Each holder is a key bound to a lease of its own, so a crashed holder lets
 * go after `ttlSeconds`. A reader writes its key, then looks for a writer; a
 * writer (one at a time, through an election) writes its key, then waits for
 * the readers it sees to finish. Since each writes before it reads, at least
 * one of a reader and a writer that meet sees the other: the reader then
 * withdraws and waits until the writer is done.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '@nimbus/store';
import type { RwLock } from './rw-lock.js';

export interface StoreRwLockOptions {
  /** Names the lock: one per shared chunk store (its bucket and prefix). */
  name: string;
  /** How long a crashed holder keeps it. Default 10 s. */
  ttlSeconds?: number;
  /** How often a waiter looks again, ms. Default 100. */
  pollMs?: number;
}

export function createStoreRwLock(store: Store, options: StoreRwLockOptions): RwLock {
  const ttlSeconds = options.ttlSeconds ?? 10;
  const pollMs = options.pollMs ?? 100;
  const root = `/nimbus/storage/chunk-locks/${encodeURIComponent(options.name)}`;
  const readers = `${root}/readers/`;
  const writers = `${root}/writers/`;
  const any = async (prefix: string) => (await store.list(prefix, { limit: 1 })).items.length > 0;
  const whileAny = async (prefix: string) => {
    while (await any(prefix)) await new Promise((resolve) => setTimeout(resolve, pollMs));
  };

  return {
    async shared(fn) {
      const lease = await store.grantLease(ttlSeconds);
      try {
        const key = `${readers}${randomUUID()}`;
        for (;;) {
          const made = await store.create(key, '', { lease: lease.id });
          if (!made.ok) throw new Error(`lock key ${key} exists`);
          if (!(await any(writers))) break;
          await store.delete(key, made.revision);
          await whileAny(writers);
        }
        return await fn();
      } finally {
        await lease.revoke();
      }
    },

    async exclusive(fn) {
      const id = randomUUID();
      const leadership = await store.campaign(`chunk-lock-${options.name}`, id, { ttlSeconds });
      try {
        const lease = await store.grantLease(ttlSeconds);
        try {
          const made = await store.create(`${writers}${id}`, '', { lease: lease.id });
          if (!made.ok) throw new Error(`lock key ${writers}${id} exists`);
          await whileAny(readers);
          return await fn();
        } finally {
          await lease.revoke();
        }
      } finally {
        await leadership.resign();
      }
    },
  };
}
