/** What a controller reports about itself: enough to see a stuck or failing loop. */
export interface ControllerMetricsSnapshot {
  controller: string;
  /** Keys waiting for a worker. */
  queueDepth: number;
  /** Keys waiting for a requeue or retry timer. */
  delayed: number;
  reconciles: number;
  errors: number;
  terminalErrors: number;
  /** Reconcile durations over the last `window` reconciles, in milliseconds. */
  durationMs: { p50: number; p99: number; max: number };
}

const WINDOW = 1024;

export class ControllerMetrics {
  reconciles = 0;
  errors = 0;
  terminalErrors = 0;
  readonly #durations: number[] = [];
  #next = 0;

  constructor(readonly controller: string) {}

  observe(durationMs: number, outcome: 'ok' | 'error' | 'terminal'): void {
    this.reconciles += 1;
    if (outcome === 'error') this.errors += 1;
    if (outcome === 'terminal') this.terminalErrors += 1;
    if (this.#durations.length < WINDOW) this.#durations.push(durationMs);
    else this.#durations[this.#next] = durationMs;
    this.#next = (this.#next + 1) % WINDOW;
  }

  snapshot(queue: { depth: number; delayed: number }): ControllerMetricsSnapshot {
    const sorted = [...this.#durations].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      controller: this.controller,
      queueDepth: queue.depth,
      delayed: queue.delayed,
      reconciles: this.reconciles,
      errors: this.errors,
      terminalErrors: this.terminalErrors,
      durationMs: { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 },
    };
  }
}
