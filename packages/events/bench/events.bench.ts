/**
 * Event bus benchmark against bare nats.js JetStream on the same server and stream:
 * (a) publish-to-handler latency at a paced 1,000 events/s into a durable consumer;
 * (b) publish rate with acks awaited in windows of 64.
 * Ours and the baseline alternate for several rounds; each figure is the median of rounds.
 *
 *   cd /work/main && node --conditions=nimbus-source --import tsx packages/events/bench/events.bench.ts
 */

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { EventSchema } from '@nimbus/api/gen/nimbus/events/v1/events_pb';
import { median, percentile, reportBench, startNats } from '@nimbus/testkit';
import { AckPolicy, connect, DeliverPolicy, type JetStreamClient, type JetStreamManager } from 'nats';
import { openNatsEventBus } from '../src/nats-event-bus.js';

const ROUNDS = 7;
const RATE_PER_S = 1_000;
const LATENCY_EVENTS = 2_000;
// Enough for a publish round of about half a second, so a passing hiccup does not decide it.
const PUBLISH_EVENTS = 10_000;
const WINDOW = 64;
const STREAM = 'NIMBUS';

const nats = await startNats();
// nats-server runs detached: when `pnpm bench` stops an overrunning bench (SIGTERM), or on Ctrl-C, stop it too.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void nats.dispose().finally(() => process.exit(1)));
}
const bus = await openNatsEventBus({ servers: nats.endpoint, stream: STREAM });
const nc = await connect({ servers: nats.endpoint });
const js: JetStreamClient = nc.jetstream();
const jsm: JetStreamManager = await nc.jetstreamManager();

function envelope(subject: string) {
  return create(EventSchema, {
    id: randomUUID(),
    subject,
    time: timestampNow(),
    accountId: '123456789012',
    resourceId: 'i-0a1b2c3d4e5f60718',
    revision: 7n,
    detailJson: '{"state":"running"}',
  });
}

/** Calls `send(i)` for i < count at `RATE_PER_S`, catching up after a late timer; resolves when all sent. */
async function paced(count: number, send: (i: number) => void): Promise<void> {
  const start = performance.now();
  let next = 0;
  while (next < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * RATE_PER_S) / 1_000) + 1);
    while (next < due) send(next++);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function untilAll(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('bench: events did not all arrive within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Latencies (ms) through our bus: publish call to handler start. */
async function latencyOurs(round: number): Promise<number[]> {
  const subject = `nimbus.bench.ours-${round}.sent`;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const subscription = await bus.subscribe({
    durable: `lat-ours-${round}`,
    subjects: [subject],
    handler: async ({ event }) => {
      latencies.push(performance.now() - (sentAt.get(event.id) ?? Number.NaN));
    },
  });
  const acks: Promise<unknown>[] = [];
  await paced(LATENCY_EVENTS, (i) => {
    const id = `${round}-${i}-${randomUUID()}`;
    sentAt.set(id, performance.now());
    acks.push(
      bus.publish({
        subject,
        id,
        accountId: '123456789012',
        resourceId: 'i-0a1b2c3d4e5f60718',
        revision: 7n,
        detailJson: '{"state":"running"}',
      }),
    );
  });
  await Promise.all(acks);
  await untilAll(() => latencies.length >= LATENCY_EVENTS);
  await subscription.close();
  return latencies;
}

/** The same through bare nats.js: `js.publish` with a msgID, a durable pull consumer, `consume()`. */
async function latencyBaseline(round: number): Promise<number[]> {
  const subject = `nimbus.bench.base-${round}.sent`;
  const durable = `lat-base-${round}`;
  await jsm.consumers.add(STREAM, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    filter_subject: subject,
  });
  const consumer = await js.consumers.get(STREAM, durable);
  const messages = await consumer.consume({ max_messages: 64 });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const consuming = (async () => {
    for await (const message of messages) {
      const event = fromBinary(EventSchema, message.data);
      latencies.push(performance.now() - (sentAt.get(event.id) ?? Number.NaN));
      message.ack();
    }
  })();
  const acks: Promise<unknown>[] = [];
  await paced(LATENCY_EVENTS, () => {
    const event = envelope(subject);
    sentAt.set(event.id, performance.now());
    acks.push(js.publish(subject, toBinary(EventSchema, event), { msgID: event.id }));
  });
  await Promise.all(acks);
  await untilAll(() => latencies.length >= LATENCY_EVENTS);
  await messages.close();
  await consuming;
  return latencies;
}

/** Events per second, publishing in windows of `WINDOW` awaited acks. */
async function publishRate(publish: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < PUBLISH_EVENTS; i += WINDOW) {
    const window: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(PUBLISH_EVENTS, i + WINDOW); j++) window.push(publish(j));
    await Promise.all(window);
  }
  return PUBLISH_EVENTS / ((performance.now() - started) / 1_000);
}

const rateOurs = (round: number) =>
  publishRate(() =>
    bus.publish({
      subject: `nimbus.bench.rate-ours-${round}.sent`,
      accountId: '123456789012',
      resourceId: 'i-0a1b2c3d4e5f60718',
      revision: 7n,
      detailJson: '{"state":"running"}',
    }),
  );
const rateBaseline = (round: number) => {
  const subject = `nimbus.bench.rate-base-${round}.sent`;
  return publishRate(() => {
    const event = envelope(subject);
    return js.publish(subject, toBinary(EventSchema, event), { msgID: event.id });
  });
};

const p50 = { ours: [] as number[], base: [] as number[] };
const p99 = { ours: [] as number[], base: [] as number[] };
const rate = { ours: [] as number[], base: [] as number[] };
try {
  // One unmeasured warm-up of each path.
  await latencyOurs(-1);
  await latencyBaseline(-1);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['ours', 'base'] as const) : (['base', 'ours'] as const);
    for (const side of order) {
      const latencies = side === 'ours' ? await latencyOurs(round) : await latencyBaseline(round);
      p50[side].push(percentile(latencies, 50));
      p99[side].push(percentile(latencies, 99));
    }
    for (const side of order) {
      rate[side].push(side === 'ours' ? await rateOurs(round) : await rateBaseline(round));
    }
    console.error(
      `round ${round}: p50 ${p50.ours.at(-1)?.toFixed(2)}/${p50.base.at(-1)?.toFixed(2)} ms, ` +
        `p99 ${p99.ours.at(-1)?.toFixed(2)}/${p99.base.at(-1)?.toFixed(2)} ms, ` +
        `publish ${rate.ours.at(-1)?.toFixed(0)}/${rate.base.at(-1)?.toFixed(0)} ev/s (ours/baseline)`,
    );
  }
} finally {
  await bus.close();
  await nc.close();
  await nats.dispose();
}

const baselineName = 'bare nats.js JetStream';
reportBench({
  suite: 'events',
  rounds: ROUNDS,
  figures: [
    {
      name: `publish-to-consume latency p50 at ${RATE_PER_S} events/s`,
      unit: 'ms',
      value: median(p50.ours),
      baseline: median(p50.base),
      baselineName,
    },
    {
      name: `publish-to-consume latency p99 at ${RATE_PER_S} events/s`,
      unit: 'ms',
      value: median(p99.ours),
      baseline: median(p99.base),
      baselineName,
      goal: { max: 20 },
    },
    {
      name: `publish rate (acks awaited in windows of ${WINDOW})`,
      unit: 'events/s',
      value: median(rate.ours),
      baseline: median(rate.base),
      baselineName,
      goal: { minRatio: 0.7 },
    },
  ],
});
