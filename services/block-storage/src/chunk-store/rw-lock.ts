/**
 * A first-come-first-served readers-writer lock within one process. Snapshots
 * and restores share it; deleting a snapshot and collecting garbage take it
 * alone, so a sweep never frees a block that a snapshot in flight has found
 * already stored and is about to reference.
 */
export interface RwLock {
  shared<T>(fn: () => Promise<T>): Promise<T>;
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

export function createRwLock(): RwLock {
  let readers = 0;
  let writing = false;
  const waiting: { exclusive: boolean; go: () => void }[] = [];

  const pump = (): void => {
    for (let next = waiting[0]; next !== undefined; next = waiting[0]) {
      if (writing || (next.exclusive && readers > 0)) return;
      waiting.shift();
      if (next.exclusive) writing = true;
      else readers++;
      next.go();
    }
  };
  const run = async <T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> => {
    await new Promise<void>((go) => {
      waiting.push({ exclusive, go });
      pump();
    });
    try {
      return await fn();
    } finally {
      if (exclusive) writing = false;
      else readers--;
      pump();
    }
  };
  return { shared: (fn) => run(false, fn), exclusive: (fn) => run(true, fn) };
}
