import { CompactedError, type KeyValue, type Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { abortableDelay } from './abortable-delay.js';
import { ExponentialBackoff } from './backoff.js';

/** A change the informer saw: the key's new value, or its removal. */
export type InformerEvent =
  | { type: 'put'; key: string; kv: KeyValue; prev?: KeyValue }
  | { type: 'delete'; key: string; prev?: KeyValue };

export type InformerHandler = (event: InformerEvent) => void;

export interface InformerOptions {
  store: Store;
  /** The keys to follow, such as `/nimbus/network/vpcs/`. */
  prefix: string;
  logger: Logger;
  /** Page size of the initial list and of each relist. Default 500. */
  pageSize?: number;
}

/**
 * A local cache of every key under a prefix, kept current by list-then-watch.
 *
 * It lists at one revision, then watches from the next one, so no change falls
 * between the two. When the watch's history is compacted away it lists again
 * and reports the difference as events; when the store is unreachable it waits
 * with backoff and resumes from the last revision it saw.
 */
export class Informer {
  readonly prefix: string;
  readonly #store: Store;
  readonly #logger: Logger;
  readonly #pageSize: number;
  readonly #cache = new Map<string, KeyValue>();
  readonly #handlers = new Set<InformerHandler>();
  readonly #synced: Promise<void>;
  #markSynced!: () => void;
  #revision = 0;

  constructor(options: InformerOptions) {
    this.prefix = options.prefix;
    this.#store = options.store;
    this.#logger = options.logger.child({ informer: options.prefix });
    this.#pageSize = options.pageSize ?? 500;
    this.#synced = new Promise((resolve) => {
      this.#markSynced = resolve;
    });
  }

  /** Resolves once the first list is in the cache. */
  synced(): Promise<void> {
    return this.#synced;
  }

  /** The store revision the cache reflects. */
  get revision(): number {
    return this.#revision;
  }

  get(key: string): KeyValue | undefined {
    return this.#cache.get(key);
  }

  keys(): string[] {
    return [...this.#cache.keys()];
  }

  values(): KeyValue[] {
    return [...this.#cache.values()];
  }

  /** Calls `handler` for every later change; returns a function that stops it. */
  onEvent(handler: InformerHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Lists (the first time) and watches until `signal` aborts; may be started again later. */
  async start(signal: AbortSignal): Promise<void> {
    const backoff = new ExponentialBackoff({ baseMs: 100, maxMs: 5_000 });
    // A restarted informer resumes its watch; only compaction forces a new list.
    let needList = this.#revision === 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.#relist();
          needList = false;
          this.#markSynced();
        }
        await this.#watch(signal, () => backoff.forget('watch'));
        if (signal.aborted) break;
        throw new Error('watch ended');
      } catch (error) {
        if (signal.aborted) break;
        if (error instanceof CompactedError) {
          this.#logger.info({ revision: this.#revision }, 'watch history compacted; listing again');
          needList = true;
          continue;
        }
        const delay = backoff.next('watch');
        this.#logger.warn({ err: error, retryInMs: delay }, 'watch failed; retrying');
        await abortableDelay(delay, signal);
      }
    }
  }

  async #relist(): Promise<void> {
    const seen = new Map<string, KeyValue>();
    let after: string | undefined;
    let revision: number | undefined;
    for (;;) {
      const page = await this.#store.list(this.prefix, {
        limit: this.#pageSize,
        ...(after === undefined ? {} : { after }),
        ...(revision === undefined ? {} : { revision }),
      });
      revision = page.revision;
      for (const kv of page.items) seen.set(kv.key, kv);
      const last = page.items.at(-1);
      if (!page.more || !last) break;
      after = last.key;
    }
    for (const [key, prev] of this.#cache) {
      if (!seen.has(key)) this.#apply({ type: 'delete', key, prev });
    }
    for (const [key, kv] of seen) {
      const prev = this.#cache.get(key);
      if (prev?.modRevision !== kv.modRevision)
        this.#apply({ type: 'put', key, kv, ...(prev ? { prev } : {}) });
    }
    this.#revision = revision ?? this.#revision;
  }

  async #watch(signal: AbortSignal, onProgress: () => void): Promise<void> {
    const watch = this.#store.watch(this.prefix, { fromRevision: this.#revision + 1, signal });
    for await (const batch of watch) {
      onProgress();
      for (const event of batch) {
        if (event.type === 'put') {
          const prev = this.#cache.get(event.kv.key);
          this.#apply({ type: 'put', key: event.kv.key, kv: event.kv, ...(prev ? { prev } : {}) });
          this.#revision = Math.max(this.#revision, event.kv.modRevision);
        } else {
          const prev = this.#cache.get(event.key);
          this.#apply({ type: 'delete', key: event.key, ...(prev ? { prev } : {}) });
          this.#revision = Math.max(this.#revision, event.revision);
        }
      }
    }
  }

  #apply(event: InformerEvent): void {
    if (event.type === 'put') this.#cache.set(event.key, event.kv);
    else this.#cache.delete(event.key);
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (error) {
        this.#logger.error({ err: error, key: event.key }, 'informer handler threw');
      }
    }
  }
}
