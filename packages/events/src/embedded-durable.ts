/**
 * One durable consumer of the embedded bus: a cursor into the stream log plus
 * the events delivered and not yet acknowledged, as JetStream keeps them for a
 * pull consumer. Every subscriber with the durable's name takes work from it.
 */

import type { StartPosition } from './event-bus.js';
import { subjectMatches } from './subjects.js';

export interface LoggedEvent {
  sequence: number;
  subject: string;
  bytes: Uint8Array;
  headers: Readonly<Record<string, string>>;
}

/** Read access to the bus's stream log. */
export interface EventLog {
  /** The sequence the next publish gets. */
  nextSequence(): number;
  /** The first logged event with sequence >= `from`, or undefined. */
  firstFrom(from: number): LoggedEvent | undefined;
  at(sequence: number): LoggedEvent | undefined;
}

export interface DurableConfig {
  filters: string[];
  ackWaitMs: number;
  maxDeliver: number;
}

/** An event taken for delivery. */
export interface Taken {
  event: LoggedEvent;
  deliveryCount: number;
}

/** An unfinished event: delivered and awaiting ack, or held back before redelivery. */
interface Unfinished {
  deliveryCount: number;
  timer: NodeJS.Timeout | undefined;
}

export class EmbeddedDurable {
  private cursor: number;
  private readonly unfinished = new Map<number, Unfinished>();
  /** Sequences due for redelivery, delivered before new events. */
  private readonly ready = new Set<number>();
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly log: EventLog,
    public config: DurableConfig,
    startAt: StartPosition,
  ) {
    this.cursor = startAt === 'new' ? log.nextSequence() : 1;
  }

  /** The next event for a subscriber, marked delivered with its ackWait running; undefined if none. */
  take(): Taken | undefined {
    const event = this.takeRedelivery() ?? this.takeNew();
    if (!event) return undefined;
    const entry = this.unfinished.get(event.sequence) ?? { deliveryCount: 0, timer: undefined };
    entry.deliveryCount += 1;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.expire(event.sequence), this.config.ackWaitMs).unref();
    this.unfinished.set(event.sequence, entry);
    return { event, deliveryCount: entry.deliveryCount };
  }

  /** Done with the event; a late ack (after ackWait) still counts, as in JetStream. */
  ack(sequence: number): void {
    this.finish(sequence);
  }

  /** The handler failed: deliver it again after `delayMs`, unless it ran out of deliveries. */
  nak(sequence: number, delayMs: number): void {
    const entry = this.unfinished.get(sequence);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (this.exhausted(entry)) {
      this.finish(sequence);
      return;
    }
    entry.timer = setTimeout(() => this.makeReady(sequence), delayMs).unref();
  }

  /** Resolves when something may have become deliverable, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.wakers.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.wakers.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  wake(): void {
    for (const waker of [...this.wakers]) waker();
  }

  /** Stops every timer: the bus is closing. */
  dispose(): void {
    for (const entry of this.unfinished.values()) clearTimeout(entry.timer);
    this.unfinished.clear();
    this.ready.clear();
    this.wake();
  }

  private takeRedelivery(): LoggedEvent | undefined {
    for (const sequence of this.ready) {
      this.ready.delete(sequence);
      const event = this.log.at(sequence);
      if (event) return event;
      this.unfinished.delete(sequence);
    }
    return undefined;
  }

  private takeNew(): LoggedEvent | undefined {
    for (;;) {
      const event = this.log.firstFrom(this.cursor);
      if (!event) return undefined;
      this.cursor = event.sequence + 1;
      if (this.config.filters.some((filter) => subjectMatches(filter, event.subject))) return event;
    }
  }

  private expire(sequence: number): void {
    const entry = this.unfinished.get(sequence);
    if (!entry) return;
    entry.timer = undefined;
    if (this.exhausted(entry)) this.finish(sequence);
    else this.makeReady(sequence);
  }

  private makeReady(sequence: number): void {
    const entry = this.unfinished.get(sequence);
    if (!entry) return;
    entry.timer = undefined;
    this.ready.add(sequence);
    this.wake();
  }

  private exhausted(entry: Unfinished): boolean {
    return this.config.maxDeliver !== -1 && entry.deliveryCount >= this.config.maxDeliver;
  }

  private finish(sequence: number): void {
    clearTimeout(this.unfinished.get(sequence)?.timer);
    this.unfinished.delete(sequence);
    this.ready.delete(sequence);
  }
}
