import type { WatchEvent } from '../store.js';
import type { RevisionBatch } from './mvcc.js';

interface Subscriber {
  prefix: string;
  pending: WatchEvent[][];
  ended: boolean;
  wake: (() => void) | undefined;
}

/**
 * Fans each revision's batch out to the watches whose prefix it touches. A
 * watch is an async iterator over a queue: the hub pushes synchronously when a
 * write commits, the consumer drains at its own pace, so a slow consumer never
 * blocks writers (its queue grows instead, as etcd's unsynced watchers do).
 */
export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();

  /**
   * Starts a watch with `replay` (batches already committed) queued first. The
   * caller reads the replay and subscribes in one synchronous step, so no
   * revision falls between history and live delivery.
   */
  subscribe(prefix: string, replay: RevisionBatch[], signal?: AbortSignal): AsyncIterable<WatchEvent[]> {
    const subscriber: Subscriber = { prefix, pending: [], ended: false, wake: undefined };
    for (const batch of replay) this.enqueue(subscriber, batch);
    this.subscribers.add(subscriber);
    const end = () => this.end(subscriber);
    signal?.addEventListener('abort', end, { once: true });
    if (signal?.aborted) end();
    return this.iterate(subscriber, () => signal?.removeEventListener('abort', end));
  }

  publish(batch: RevisionBatch): void {
    for (const subscriber of this.subscribers) this.enqueue(subscriber, batch);
  }

  /** Ends every watch: their iterators finish after what is already queued. */
  closeAll(): void {
    for (const subscriber of this.subscribers) this.end(subscriber);
  }

  private enqueue(subscriber: Subscriber, batch: RevisionBatch): void {
    const events = batch.events.filter((event) =>
      (event.type === 'put' ? event.kv.key : event.key).startsWith(subscriber.prefix),
    );
    if (events.length === 0) return;
    subscriber.pending.push(events);
    subscriber.wake?.();
  }

  private end(subscriber: Subscriber): void {
    subscriber.ended = true;
    this.subscribers.delete(subscriber);
    subscriber.wake?.();
  }

  private async *iterate(subscriber: Subscriber, release: () => void): AsyncGenerator<WatchEvent[]> {
    try {
      for (;;) {
        const next = subscriber.pending.shift();
        if (next) {
          yield next;
          continue;
        }
        if (subscriber.ended) return;
        await new Promise<void>((resolve) => {
          subscriber.wake = resolve;
        });
        subscriber.wake = undefined;
      }
    } finally {
      this.end(subscriber);
      release();
    }
  }
}
