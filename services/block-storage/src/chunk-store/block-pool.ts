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
