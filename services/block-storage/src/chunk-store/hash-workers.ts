import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** sha256 of `data` as 64 lowercase hex digits. */
export type Hasher = (data: Uint8Array) => Promise<string>;

/**
 * sha256 on worker threads, so hashing runs beside the main thread's reads
 * and writes instead of between them. The threads exist only while some
 * `run` is in flight: the first starts them, the last to finish terminates
 * them, so an idle chunk store holds no threads and never keeps a process alive.
 */
export interface HashWorkers {
  /** Calls `fn` with a hasher backed by the threads, started if need be. */
  run<T>(fn: (hash: Hasher) => Promise<T>): Promise<T>;
  /** Threads started and not yet exited. */
  readonly threadsAlive: number;
}

/** One thread per core, at most 4: beyond that reads and writes, not hashing, bound a snapshot. */
export const DEFAULT_HASH_THREADS = Math.max(1, Math.min(4, availableParallelism()));

/** Hashes on the calling thread, for work too small to pay for starting threads (about 25 ms). */
export const hashHere: Hasher = async (data) => createHash('sha256').update(data).digest('hex');

// Evaluated rather than loaded from a file, so it runs the same from sources (tsx, vitest) and from dist.
// Data in a SharedArrayBuffer is read in place; anything else arrives as a copy.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, bytes }) => {
  parentPort.postMessage({ id, hex: createHash('sha256').update(bytes).digest('hex') });
});
`;

interface Thread {
  worker: Worker;
  busy: number;
  exited: Promise<void>;
}

export function createHashWorkers(threads: number = DEFAULT_HASH_THREADS): HashWorkers {
  let users = 0;
  let alive = 0;
  /** The threads of the runs in flight; undefined when there are none. */
  let current: Promise<Thread[]> | undefined;
  /** Set while the previous pool is terminating, so that a new one never overlaps it. */
  let stopping: Promise<void> = Promise.resolve();
  let nextId = 0;
  const pending = new Map<number, { resolve: (hex: string) => void; reject: (error: unknown) => void }>();

  const start = (): Thread[] =>
    Array.from({ length: threads }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      alive++;
      const exited = new Promise<void>((resolve) =>
        worker.once('exit', () => {
          alive--;
          resolve();
        }),
      );
      worker.on('message', ({ id, hex }: { id: number; hex: string }) => {
        const job = pending.get(id);
        pending.delete(id);
        job?.resolve(hex);
      });
      worker.on('error', (error) => {
        // A thread that fails fails every job in flight; the run rejects and the pool is torn down.
        for (const job of pending.values()) job.reject(error);
        pending.clear();
      });
      return { worker, busy: 0, exited };
    });

  const hashOn =
    (threadsOfRun: Thread[]): Hasher =>
    (data) =>
      new Promise<string>((resolve, reject) => {
        const thread = threadsOfRun.reduce((a, b) => (b.busy < a.busy ? b : a));
        const id = nextId++;
        thread.busy++;
        const done = () => {
          thread.busy--;
        };
        pending.set(id, {
          resolve: (hex) => {
            done();
            resolve(hex);
          },
          reject: (error) => {
            done();
            reject(error);
          },
        });
        // A view of shared memory is posted as a view of the same memory. Anything else is copied,
        // and only the view: posting it as is would copy the whole buffer behind it.
        const bytes = data.buffer instanceof SharedArrayBuffer ? data : new Uint8Array(data);
        thread.worker.postMessage({ id, bytes });
      });

  return {
    async run(fn) {
      users++;
      current ??= stopping.then(start);
      let threadsOfRun: Thread[] = [];
      try {
        threadsOfRun = await current;
        return await fn(hashOn(threadsOfRun));
      } finally {
        if (--users === 0) {
          current = undefined;
          stopping = Promise.all(
            threadsOfRun.map(async ({ worker, exited }) => {
              await worker.terminate();
              await exited;
            }),
          ).then(() => {});
          await stopping;
        }
      }
    },
    get threadsAlive() {
      return alive;
    },
  };
}
