import { type Hasher, type HashWorkers, hashHere } from './hash-workers.js';

/**
 * Runs `work(item)` for every item with at most `concurrency` in flight. On
 * the first failure (or when `signal` aborts) it starts no more items, waits
 * for those in flight, then rejects with that failure, so the caller can
 * close its files knowing nothing still uses them.
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, worker: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (id: number): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted) {
        failure = { error: signal.reason };
        return;
      }
      const item = items[next++] as T;
      try {
        await work(item, id);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, (_, id) => worker(id)));
  if (failure !== undefined) throw failure.error;
  signal?.throwIfAborted();
}

/**
 * One reusable block buffer per lane. Buffers to be hashed on worker threads
 * are views of one SharedArrayBuffer, which the threads read in place.
 */
export function laneBuffers(lanes: number, blockSize: number, shared: boolean): Buffer[] {
  const memory = shared ? new SharedArrayBuffer(lanes * blockSize) : new ArrayBuffer(lanes * blockSize);
  return Array.from({ length: lanes }, (_, lane) => Buffer.from(memory, lane * blockSize, blockSize));
}

/**
 * Work of this many bytes or more is hashed on the store's worker threads;
 * less is hashed on the calling thread, as starting the threads (about 25 ms)
 * would cost more than it saves, e.g. for an incremental snapshot of a few blocks.
 */
export const HASH_ON_THREADS_MIN_BYTES = 32 << 20;

/** Calls `fn` with a sha256 hasher: on the store's threads for large work, else on this thread. */
export function withHasher<T>(
  options: { hashWorkers: HashWorkers },
  bytes: number,
  fn: (sha256: Hasher, onThreads: boolean) => Promise<T>,
): Promise<T> {
  if (bytes < HASH_ON_THREADS_MIN_BYTES) return fn(hashHere, false);
  return options.hashWorkers.run((sha256) => fn(sha256, true));
}
