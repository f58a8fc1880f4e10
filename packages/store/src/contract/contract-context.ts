import type { Store, WatchEvent } from '../store.js';

/** A watch consumed in the background, so a test can wait on what it has seen. */
export interface Watching {
  batches: WatchEvent[][];
  /** Settles when the iterator ends: resolves, or rejects with what it threw. */
  done: Promise<void>;
  stop(): void;
}

/** What the contract's cases get from the suite: this test's store, and watches it stops afterwards. */
export interface ContractContext {
  store(): Store;
  watch(prefix: string, fromRevision: number): Watching;
}

export function watchInBackground(store: Store, prefix: string, fromRevision: number): Watching {
  const controller = new AbortController();
  const batches: WatchEvent[][] = [];
  const done = (async () => {
    for await (const batch of store.watch(prefix, { fromRevision, signal: controller.signal })) {
      batches.push(batch);
    }
  })();
  done.catch(() => {});
  return { batches, done, stop: () => controller.abort() };
}
