/** Per-key exponential backoff: `baseMs * 2^failures`, capped at `maxMs`. */
export interface BackoffOptions {
  /** Delay after the first failure. Default 50 ms. */
  baseMs?: number;
  /** Longest delay. Default 60 s. */
  maxMs?: number;
}

export class ExponentialBackoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #failures = new Map<string, number>();

  constructor(options: BackoffOptions = {}) {
    this.#baseMs = options.baseMs ?? 50;
    this.#maxMs = options.maxMs ?? 60_000;
  }

  /** Records one more failure of `key` and returns how long to wait before its next attempt. */
  next(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    return Math.min(this.#maxMs, this.#baseMs * 2 ** failures);
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Forgets the key's failures, after it succeeded or was given up. */
  forget(key: string): void {
    this.#failures.delete(key);
  }
}
