/**
 * The in-process event bus for the one-machine default when no nats-server is
 * on PATH. It keeps JetStream's semantics: one stream log, dedupe by event id
 * within a window, durable consumers with ack, redelivery after a failure or
 * after ackWait, resume by durable name, subject wildcards.
 *
 * Known differences from `NatsEventBus`:
 * - Everything is in memory: the log and the durables' positions are lost when
 *   the process exits, and only this process can publish or subscribe.
 * - The log keeps the last `maxEvents` events rather than a time limit.
 * - No limit on unacknowledged events per durable (JetStream's max_ack_pending).
 */

import { EmbeddedDurable, type EventLog, type LoggedEvent } from './embedded-durable.js';
import { decodeEvent, encodeEvent, eventFromInput } from './envelope.js';
import {
  BusUnavailableError,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventBus,
  type PublishAck,
  type PublishInput,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.js';
import {
  type ResolvedSubscribeOptions,
  redeliveryDelayMs,
  resolveSubscribeOptions,
} from './subscribe-options.js';

export interface EmbeddedEventBusOptions {
  /** How long an event id is remembered for dedupe. Default 2 min, as the NATS stream. */
  duplicateWindowMs?: number;
  /** Events kept in the log; older ones are dropped. Default 100,000. */
  maxEvents?: number;
}

export function createEmbeddedEventBus(options: EmbeddedEventBusOptions = {}): EventBus {
  return new EmbeddedEventBus(options);
}

export class EmbeddedEventBus implements EventBus, EventLog {
  private readonly duplicateWindowMs: number;
  private readonly maxEvents: number;
  private readonly log: LoggedEvent[] = [];
  /** Sequence of `log[0]`. */
  private firstSequence = 1;
  /** Event id to its sequence and publish time, oldest first. */
  private readonly recentIds = new Map<string, { sequence: number; at: number }>();
  private readonly durables = new Map<string, EmbeddedDurable>();
  private readonly subscriptions = new Set<Subscription>();
  /** Open subscriptions per durable name, and the timers that forget idle durables that asked to expire. */
  private readonly active = new Map<string, number>();
  private readonly expiries = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(options: EmbeddedEventBusOptions = {}) {
    this.duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    this.maxEvents = options.maxEvents ?? 100_000;
  }

  async publish(input: PublishInput): Promise<PublishAck> {
    this.assertOpen();
    const event = eventFromInput(input);
    const now = Date.now();
    this.forgetOldIds(now);
    const seen = this.recentIds.get(event.id);
    if (seen) return { id: event.id, sequence: seen.sequence, duplicate: true };
    const sequence = this.nextSequence();
    this.log.push({
      sequence,
      subject: event.subject,
      bytes: encodeEvent(event),
      headers: lowerCaseNames(input.headers),
    });
    this.recentIds.set(event.id, { sequence, at: now });
    if (this.log.length > this.maxEvents * 1.1) {
      const drop = this.log.length - this.maxEvents;
      this.log.splice(0, drop);
      this.firstSequence += drop;
    }
    for (const durable of this.durables.values()) durable.wake();
    return { id: event.id, sequence, duplicate: false };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const resolved = resolveSubscribeOptions(options);
    const config = {
      filters: resolved.filters,
      ackWaitMs: resolved.ackWaitMs,
      maxDeliver: resolved.maxDeliver,
    };
    let durable = this.durables.get(resolved.durable);
    if (durable) durable.config = config;
    else {
      durable = new EmbeddedDurable(this, config, resolved.startAt);
      this.durables.set(resolved.durable, durable);
    }
    clearTimeout(this.expiries.get(resolved.durable));
    this.expiries.delete(resolved.durable);
    this.active.set(resolved.durable, (this.active.get(resolved.durable) ?? 0) + 1);
    const subscription = this.startSubscription(durable, resolved);
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The durables the bus keeps, for inspection. */
  durableNames(): string[] {
    return [...this.durables.keys()];
  }

  /** One subscription of the durable ended; the last one starts its expiry, if it asked for one. */
  private released(name: string, expireAfterIdleMs: number | undefined): void {
    const left = (this.active.get(name) ?? 1) - 1;
    this.active.set(name, left);
    if (left > 0 || expireAfterIdleMs === undefined || this.closed) return;
    const timer = setTimeout(() => {
      this.expiries.delete(name);
      if ((this.active.get(name) ?? 0) > 0) return;
      this.durables.get(name)?.dispose();
      this.durables.delete(name);
      this.active.delete(name);
    }, expireAfterIdleMs);
    timer.unref();
    this.expiries.set(name, timer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    for (const durable of this.durables.values()) durable.dispose();
  }

  nextSequence(): number {
    return this.firstSequence + this.log.length;
  }

  firstFrom(from: number): LoggedEvent | undefined {
    return this.log[Math.max(0, from - this.firstSequence)];
  }

  at(sequence: number): LoggedEvent | undefined {
    return sequence < this.firstSequence ? undefined : this.log[sequence - this.firstSequence];
  }

  private startSubscription(durable: EmbeddedDurable, options: ResolvedSubscribeOptions): Subscription {
    const stop = new AbortController();
    const stopped = new Promise<void>((resolve) =>
      stop.signal.addEventListener(
        'abort',
        () => {
          this.released(options.durable, options.expireAfterIdleMs);
          resolve();
        },
        { once: true },
      ),
    );
    const onAbort = () => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop.abort();
    const loop = async () => {
      while (!stop.signal.aborted) {
        const taken = durable.take();
        if (!taken) {
          await durable.changed(stop.signal);
          continue;
        }
        const { event, deliveryCount } = taken;
        const handled = Promise.resolve()
          .then(() =>
            options.handler({
              event: decodeEvent(event.bytes),
              deliveryCount,
              sequence: event.sequence,
              headers: event.headers,
            }),
          )
          .then(
            () => durable.ack(event.sequence),
            () => durable.nak(event.sequence, redeliveryDelayMs(deliveryCount)),
          );
        await Promise.race([handled, stopped]);
      }
    };
    const running = loop();
    const subscription: Subscription = {
      durable: options.durable,
      close: async () => {
        options.signal?.removeEventListener('abort', onAbort);
        stop.abort();
        this.subscriptions.delete(subscription);
        await running;
      },
    };
    return subscription;
  }

  private forgetOldIds(now: number): void {
    for (const [id, { at }] of this.recentIds) {
      if (now - at < this.duplicateWindowMs) break;
      this.recentIds.delete(id);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BusUnavailableError('the embedded event bus is closed');
  }
}

function lowerCaseNames(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}
