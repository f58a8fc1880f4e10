/**
 * The event bus: the contract every service publishes and consumes through.
 *
 * Events go on subjects `nimbus.<domain>.<kind>.<verb>` and carry the
 * `nimbus.events.v1.Event` envelope. The event id is the message id: a second
 * publish of the same id inside the duplicate window is stored once (its ack
 * says `duplicate: true`), so a publisher that is unsure may simply publish again.
 *
 * Consumers are durable and delivery is at least once: a handler that resolves
 * acknowledges its event; one that throws gets it again after a short delay;
 * one that never finishes (or whose process dies) gets it again, or its
 * successor with the same durable name does, after `ackWaitMs`. A durable
 * resumes where it left off, so events published while nobody listened are
 * delivered on the next subscribe. Handlers must therefore be idempotent, and
 * an event is a trigger, never the truth: re-read state before acting.
 *
 * Two implementations pass one contract suite (`describeEventBusContract`):
 * `NatsEventBus` (JetStream) and the in-process `EmbeddedEventBus`.
 */

import type { Event } from '@nimbus/api/gen/nimbus/events/v1/events_pb';

export type { Event };

/** What a publisher says; the bus fills in the rest of the envelope. */
export interface PublishInput {
  /** `nimbus.<domain>.<kind>.<verb>`, e.g. `nimbus.compute.instance.state-changed`. */
  subject: string;
  /** The dedupe key. Default: a fresh UUID (so only a retried publish with the same id is dropped). */
  id?: string;
  /** When it happened. Default: now. */
  time?: Date;
  accountId?: string;
  /** The EC2-form id of the resource, e.g. `i-0a1b2c3d4e5f60718`. */
  resourceId?: string;
  /** The store revision that produced the event. Default 0. */
  revision?: bigint | number;
  /** Domain detail, already JSON. Default empty. */
  detailJson?: string;
  requestId?: string;
  /**
   * Transport headers beside the envelope (NATS message headers), e.g. the
   * W3C `traceparent` of the publishing call; delivered as they were sent.
   */
  headers?: Readonly<Record<string, string>>;
}

export interface PublishAck {
  /** The event id (the one given, or the one the bus made). */
  id: string;
  /** Position in the stream; a duplicate reports the original's sequence. */
  sequence: number;
  /** True when this id was already published inside the duplicate window: nothing new was stored. */
  duplicate: boolean;
}

/** One delivery of an event to a durable consumer. */
export interface DeliveredEvent {
  readonly event: Event;
  /** 1 on first delivery, 2 on the first redelivery, and so on. */
  readonly deliveryCount: number;
  /** The event's position in the stream. */
  readonly sequence: number;
  /** The headers it was published with, names in lower case (none: empty). */
  readonly headers: Readonly<Record<string, string>>;
}

/** Where a durable seen for the first time starts reading. */
export type StartPosition =
  /** Only events published after the durable is created (the default: no replay of history). */
  | 'new'
  /** Everything the stream still holds. */
  | 'all';

export interface SubscribeOptions {
  /** The consumer's name: subscribers with the same name share one cursor and one set of unacked events. */
  durable: string;
  /** Subject filters; tokens may be `*` (one token) or a final `>` (the rest). */
  subjects: string[];
  /** Resolve to acknowledge; throw to have the event redelivered after a short delay. */
  handler(event: DeliveredEvent): Promise<void>;
  /** How long a delivery may stay unacknowledged before it is redelivered. Default 30 s. */
  ackWaitMs?: number;
  /** Deliveries per event before the bus gives up on it. Default 10; -1 for no limit. */
  maxDeliver?: number;
  /** Where a new durable starts. Default `'new'`. Ignored when the durable exists. */
  startAt?: StartPosition;
  /** Aborting closes the subscription. */
  signal?: AbortSignal;
  /**
   * Forget the durable (its cursor and unacked events) once nobody has
   * subscribed to it for this long: for watchers such as `nimbus events`,
   * which must not leave a consumer behind. Default: kept for good.
   */
  expireAfterIdleMs?: number;
}

export interface Subscription {
  readonly durable: string;
  /**
   * Stops delivery. It does not wait for a running handler: if that handler
   * still resolves, its event is acknowledged; if not, the event is redelivered
   * after ackWait, to whoever subscribes with this durable name next.
   */
  close(): Promise<void>;
}

export interface EventBus {
  publish(input: PublishInput): Promise<PublishAck>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Closes every subscription and the connection; later calls reject with `BusUnavailableError`. */
  close(): Promise<void>;
}

/** The bus cannot be reached (NATS down, JetStream missing, or the bus closed). Retrying later may work. */
export class BusUnavailableError extends Error {
  override name = 'BusUnavailableError';
}

/** A subject or subject filter that is not of the form `nimbus.<domain>.<kind>.<verb>`. */
export class InvalidSubjectError extends Error {
  override name = 'InvalidSubjectError';
}

/** A durable name NATS would refuse (it must be letters, digits, `-` and `_`). */
export class InvalidDurableNameError extends Error {
  override name = 'InvalidDurableNameError';
}

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 10;
/** How long an event id is remembered for dedupe. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
