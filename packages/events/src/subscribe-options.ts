/**
 * A subscription's options, validated and with every default applied once,
 * so both buses read the same resolved values.
 */

import {
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVER,
  type DeliveredEvent,
  type StartPosition,
  type SubscribeOptions,
} from './event-bus.js';
import { normalizeFilters, validateDurable } from './subjects.js';

export interface ResolvedSubscribeOptions {
  durable: string;
  /** Normalized: four tokens each, no `>`. */
  filters: string[];
  handler: (event: DeliveredEvent) => Promise<void>;
  ackWaitMs: number;
  /** -1 means no limit. */
  maxDeliver: number;
  startAt: StartPosition;
  signal: AbortSignal | undefined;
  expireAfterIdleMs: number | undefined;
}

export function resolveSubscribeOptions(options: SubscribeOptions): ResolvedSubscribeOptions {
  validateDurable(options.durable);
  const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  if (!(ackWaitMs > 0)) throw new RangeError(`ackWaitMs must be positive, got ${ackWaitMs}`);
  if (options.expireAfterIdleMs !== undefined && !(options.expireAfterIdleMs > 0)) {
    throw new RangeError(`expireAfterIdleMs must be positive, got ${options.expireAfterIdleMs}`);
  }
  const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
  if (maxDeliver !== -1 && !(Number.isInteger(maxDeliver) && maxDeliver >= 1)) {
    throw new RangeError(`maxDeliver must be a positive integer or -1, got ${maxDeliver}`);
  }
  return {
    durable: options.durable,
    filters: normalizeFilters(options.subjects),
    handler: options.handler,
    ackWaitMs,
    maxDeliver,
    startAt: options.startAt ?? 'new',
    signal: options.signal,
    expireAfterIdleMs: options.expireAfterIdleMs,
  };
}

/**
 * How long to hold back an event whose handler threw: short at first, so a
 * passing hiccup costs little, doubling up to 5 s so a failing handler does not spin.
 */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(100 * 2 ** Math.max(0, deliveryCount - 1), 5_000);
}
