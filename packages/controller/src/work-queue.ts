import { type BackoffOptions, ExponentialBackoff } from './backoff.js';
import { TokenBucket } from './token-bucket.js';

/**
 * A queue of keys in the manner of client-go's workqueue:
 *
 * - deduplicating: a key added many times before a worker takes it is
 *   processed once;
 * - per-key serial: a key is never handed to two workers at once; a key added
 *   while it is being processed is queued again when that worker calls `done`;
 * - rate-limited retries: `addRateLimited` waits the longer of the key's
 *   exponential backoff and the shared token bucket.
 */
export interface WorkQueueOptions {
  backoff?: BackoffOptions;
  /** Overall retry rate across all keys. Default 20 per second. */
  retryRatePerSecond?: number;
  /** Retry burst across all keys. Default 200. */
  retryBurst?: number;
  /** The clock of the retry rate limit, in milliseconds. Default `Date.now`; tests pass a fixed one. */
  now?: () => number;
}

export class WorkQueue {
  readonly #queue: string[] = [];
  /** Keys waiting to be processed (queued, or queued again while processing). */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #backoff: ExponentialBackoff;
  readonly #bucket: TokenBucket;
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#backoff = new ExponentialBackoff(options.backoff);
    this.#bucket = new TokenBucket(options.retryRatePerSecond ?? 20, options.retryBurst ?? 200, options.now);
  }

  /** Keys waiting for a worker. */
  get depth(): number {
    return this.#queue.length;
  }

  /** Keys waiting for a timer (requeue or retry). */
  get delayed(): number {
    return this.#timers.size;
  }

  /** True once `shutDown` was called: the queue hands out nothing more. */
  get isShutDown(): boolean {
    return this.#shuttingDown;
  }

  get processing(): number {
    return this.#processing.size;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) this.#hand(key, waiter);
    else this.#queue.push(key);
  }

  /** Adds the key after `delayMs`; an earlier pending add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Adds the key after its backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    const delay = Math.max(this.#backoff.next(key), this.#bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  /** How many times in a row the key has failed. */
  failures(key: string): number {
    return this.#backoff.failures(key);
  }

  /** Resets the key's backoff (after success, or when giving up). */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  /** The next key to process, or undefined once the queue shuts down. Call `done(key)` after. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (!this.#dirty.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) this.#hand(key, waiter);
    else this.#queue.push(key);
  }

  /** Stops handing out keys: waiting and later `get` calls resolve with undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  #hand(key: string, waiter: (key: string) => void): void {
    this.#dirty.delete(key);
    this.#processing.add(key);
    waiter(key);
  }
}
