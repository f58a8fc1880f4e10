/**
 * A durable subscription on JetStream: ensures the durable pull consumer
 * (explicit ack, ack_wait, max_deliver), then runs the handler on each message
 * from `consumer.consume()`, one at a time in stream order. The nats client
 * re-issues pulls after a reconnect, so a subscription outlives a server restart.
 */

import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  nanos,
} from 'nats';
import { decodeEvent } from './envelope.js';
import type { Subscription } from './event-bus.js';
import { translateError } from './nats-errors.js';
import { EVENT_SUBJECTS, subjectMatches } from './subjects.js';
import { type ResolvedSubscribeOptions, redeliveryDelayMs } from './subscribe-options.js';

export interface NatsSubscriptionContext {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  servers: readonly string[];
  /** Messages a pull asks for at once. */
  batch: number;
}

/** True when the server takes several filters on one consumer (`filter_subjects`, 2.10+). */
function supportsFilterSubjects(nc: NatsConnection): boolean {
  const [major = 0, minor = 0] = (nc.info?.version ?? '0.0.0').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/** Creates the durable consumer, or updates the settings JetStream lets change. */
async function ensureConsumer(context: NatsSubscriptionContext, options: ResolvedSubscribeOptions) {
  const { jsm, nc, stream } = context;
  const multiple = options.filters.length > 1;
  // Servers before 2.10 take one filter: consume every event subject and skip the rest here.
  const filterInClient = multiple && !supportsFilterSubjects(nc);
  const filter: Partial<ConsumerConfig> = filterInClient
    ? { filter_subject: EVENT_SUBJECTS }
    : multiple
      ? { filter_subjects: options.filters }
      : { filter_subject: options.filters[0] as string };
  const settings: Partial<ConsumerConfig> = {
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: options.maxDeliver,
    ...filter,
  };
  const existing = await jsm.consumers.info(stream, options.durable).catch(() => undefined);
  if (!existing) {
    await jsm.consumers.add(stream, {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: options.startAt === 'all' ? DeliverPolicy.All : DeliverPolicy.New,
      ...(options.expireAfterIdleMs === undefined
        ? {}
        : { inactive_threshold: nanos(options.expireAfterIdleMs) }),
      ...settings,
    });
  } else {
    const c = existing.config;
    const same =
      c.ack_wait === settings.ack_wait &&
      c.max_deliver === settings.max_deliver &&
      (c.filter_subject ?? '') === (settings.filter_subject ?? '') &&
      (c.filter_subjects ?? []).join() === (settings.filter_subjects ?? []).join();
    if (!same) await jsm.consumers.update(stream, options.durable, settings);
  }
  return filterInClient;
}

export async function openNatsSubscription(
  context: NatsSubscriptionContext,
  options: ResolvedSubscribeOptions,
): Promise<Subscription> {
  let filterInClient: boolean;
  let consumer: Awaited<ReturnType<JetStreamClient['consumers']['get']>>;
  try {
    filterInClient = await ensureConsumer(context, options);
    consumer = await context.js.consumers.get(context.stream, options.durable);
  } catch (error) {
    throw translateError(error, context.servers, `subscribing durable ${options.durable}`);
  }

  const stop = new AbortController();
  const stopped = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
  let messages: ConsumerMessages | undefined;
  const onAbort = () => void subscription.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const handle = async (message: JsMsg) => {
    if (filterInClient && !options.filters.some((filter) => subjectMatches(filter, message.subject))) {
      message.ack();
      return;
    }
    let event: ReturnType<typeof decodeEvent>;
    try {
      event = decodeEvent(message.data);
    } catch {
      // Not an envelope: no redelivery would ever make it one.
      message.term();
      return;
    }
    const deliveryCount = message.info.redeliveryCount;
    try {
      const headers: Record<string, string> = {};
      for (const [name, values] of message.headers ?? []) {
        // The server's own headers (Nats-Msg-Id, ...) are not the publisher's.
        const lower = name.toLowerCase();
        if (!lower.startsWith('nats-') && values[0] !== undefined) headers[lower] = values[0];
      }
      await options.handler({ event, deliveryCount, sequence: message.seq, headers });
      message.ack();
    } catch {
      message.nak(redeliveryDelayMs(deliveryCount));
    }
  };

  const loop = async () => {
    while (!stop.signal.aborted) {
      try {
        messages = await consumer.consume({ max_messages: context.batch });
        if (stop.signal.aborted) {
          messages.stop();
          break;
        }
        // Never break out of this loop: nats.js only settles `close()` once the iterator has
        // drained its own stop marker. Messages after the stop stay unacked and are redelivered.
        for await (const message of messages) {
          if (!stop.signal.aborted) await Promise.race([handle(message), stopped]);
        }
      } catch {
        // The consumer went away or the connection closed: try again shortly unless closing.
      }
      if (!stop.signal.aborted) await Promise.race([stopped, new Promise((r) => setTimeout(r, 500))]);
    }
  };
  const running = loop();

  const subscription: Subscription = {
    durable: options.durable,
    close: async () => {
      if (stop.signal.aborted) return running;
      options.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      await messages?.close().catch(() => undefined);
      await running;
    },
  };
  if (options.signal?.aborted) await subscription.close();
  return subscription;
}
