import type { Logger } from 'pino';
import { ControllerMetrics, type ControllerMetricsSnapshot } from './controller-metrics.js';
import type { Informer, InformerEvent } from './informer.js';
import { isTerminalError, type Reconcile } from './reconciler.js';
import { WorkQueue, type WorkQueueOptions } from './work-queue.js';

export interface ControllerOptions {
  /** Names the controller in logs and metrics, such as `instance-controller`. */
  name: string;
  reconcile: Reconcile;
  logger: Logger;
  /** Keys reconciled at once (never the same key twice at once). Default 1. */
  concurrency?: number;
  /** Every this often, every key the watched informers hold is queued again. Default 5 minutes; 0 disables. */
  resyncMs?: number;
  queue?: WorkQueueOptions;
}

/** Maps an informer event to the keys to reconcile; the default is the event's own key. */
export type KeyMapper = (event: InformerEvent) => string[];

/**
 * The reconcile loop: informers feed keys into a work queue, workers take keys
 * from it and call `reconcile`, and the answer decides when the key comes back
 * (see reconciler.ts for the contract).
 */
export class Controller {
  readonly name: string;
  readonly #reconcile: Reconcile;
  readonly #logger: Logger;
  readonly #concurrency: number;
  readonly #resyncMs: number;
  readonly #queueOptions: WorkQueueOptions | undefined;
  #queue: WorkQueue;
  readonly #metrics: ControllerMetrics;
  readonly #sources: { informer: Informer; map: KeyMapper }[] = [];

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#reconcile = options.reconcile;
    this.#logger = options.logger.child({ controller: options.name });
    this.#concurrency = options.concurrency ?? 1;
    this.#resyncMs = options.resyncMs ?? 300_000;
    this.#queueOptions = options.queue;
    this.#queue = new WorkQueue(options.queue);
    this.#metrics = new ControllerMetrics(options.name);
  }

  /** Reconciles the keys `map` derives from every change the informer sees (and at each resync). */
  watches(informer: Informer, map: KeyMapper = (event) => [event.key]): this {
    this.#sources.push({ informer, map });
    return this;
  }

  enqueue(key: string): void {
    this.#queue.add(key);
  }

  metrics(): ControllerMetricsSnapshot {
    return this.#metrics.snapshot(this.#queue);
  }

  /**
   * Runs informers and workers until `signal` aborts; in-flight reconciles
   * finish first. Can run again after it resolved, as a controller does each
   * time its replica wins the leader election anew.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    if (this.#queue.isShutDown) this.#queue = new WorkQueue(this.#queueOptions);
    const queue = this.#queue;
    const onAbort = () => queue.shutDown();
    signal.addEventListener('abort', onAbort, { once: true });
    const informers = [...new Set(this.#sources.map((source) => source.informer))];
    const stops = this.#sources.map(({ informer, map }) =>
      informer.onEvent((event) => {
        for (const key of map(event)) this.#queue.add(key);
      }),
    );
    const running = informers.map((informer) => informer.start(signal));
    await Promise.race([Promise.all(informers.map((informer) => informer.synced())), aborted(signal)]);
    const resync = this.#resyncMs > 0 ? setInterval(() => this.#resync(), this.#resyncMs) : undefined;
    resync?.unref();
    for (const { informer, map } of this.#sources) this.#enqueueAll(informer, map);
    this.#logger.info({ concurrency: this.#concurrency }, 'controller started');
    try {
      await Promise.all(Array.from({ length: this.#concurrency }, () => this.#work(signal)));
      await Promise.all(running);
    } finally {
      clearInterval(resync);
      signal.removeEventListener('abort', onAbort);
      for (const stop of stops) stop();
      this.#logger.info('controller stopped');
    }
  }

  #resync(): void {
    for (const { informer, map } of this.#sources) this.#enqueueAll(informer, map);
  }

  #enqueueAll(informer: Informer, map: KeyMapper): void {
    for (const kv of informer.values()) {
      for (const key of map({ type: 'put', key: kv.key, kv })) this.#queue.add(key);
    }
  }

  async #work(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const result = await this.#reconcile(key, signal);
        this.#metrics.observe(performance.now() - started, 'ok');
        this.#queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.#queue.addAfter(key, result.requeueAfterMs);
      } catch (error) {
        if (isTerminalError(error)) {
          this.#metrics.observe(performance.now() - started, 'terminal');
          this.#queue.forget(key);
          this.#logger.error({ err: error, key }, 'reconcile failed for good');
        } else {
          this.#metrics.observe(performance.now() - started, 'error');
          const retryInMs = this.#queue.addRateLimited(key);
          this.#logger.warn(
            { err: error, key, retryInMs, failures: this.#queue.failures(key) },
            'reconcile failed',
          );
        }
      } finally {
        this.#queue.done(key);
      }
    }
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export function createController(options: ControllerOptions): Controller {
  return new Controller(options);
}
