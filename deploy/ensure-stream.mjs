#!/usr/bin/env node
/**
 * Makes the region's JetStream stream replicated before any service starts.
 *
 * The events package creates the stream (NIMBUS) when a service first opens
 * the bus, with `replicas` from its options; but the services' runtime opens
 * it with the default, one replica, and reads no setting for it. So on a NATS
 * cluster this one-shot job runs first: it creates the stream through the
 * events package itself (same subjects, windows and retention as the services
 * would make) with NIMBUS_BUS_REPLICAS replicas, or raises the replicas of a
 * stream that already exists with fewer. Services that open the bus later find
 * the stream and keep its replicas (the events package only brings subjects
 * and windows up to date).
 *
 *   NIMBUS_BUS_SERVERS=nats://nats-1:4222,... NIMBUS_BUS_REPLICAS=3 node deploy/ensure-stream.mjs
 *
 * Exit 0 when the stream has at least that many replicas, 1 otherwise or
 * when NATS still refuses after NIMBUS_BUS_WAIT seconds (default 60).
 */
import { createRequire } from 'node:module';

const eventsPackage = new URL('../packages/events/package.json', import.meta.url);
const { openNatsEventBus } = await import(new URL('dist/index.js', eventsPackage).href);
const { connect } = createRequire(eventsPackage)('nats');

const servers = (process.env.NIMBUS_BUS_SERVERS ?? '')
  .split(',')
  .map((server) => server.trim())
  .filter(Boolean);
const replicas = Number(process.env.NIMBUS_BUS_REPLICAS ?? '3');
const stream = process.env.NIMBUS_BUS_STREAM || 'NIMBUS';
if (servers.length === 0) {
  console.error('ensure-stream: NIMBUS_BUS_SERVERS is required: NATS server URLs, comma-separated');
  process.exit(1);
}
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
  console.error(`ensure-stream: NIMBUS_BUS_REPLICAS must be 1 to 5 (JetStream's limit), got '${replicas}'`);
  process.exit(1);
}

/** Makes the stream or raises its replicas; the stream's replica count after. */
async function ensure() {
  const bus = await openNatsEventBus({ servers, stream, replicas, connectTimeoutMs: 5_000 });
  await bus.close();
  const nc = await connect({ servers, timeout: 5_000 });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    if (info.config.num_replicas < replicas) {
      await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
    }
    return (await jsm.streams.info(stream)).config.num_replicas;
  } finally {
    await nc.close();
  }
}

// A cluster just started may not have elected its JetStream leader yet: try
// again, a second apart, for NIMBUS_BUS_WAIT seconds (default 60).
const deadline = Date.now() + Number(process.env.NIMBUS_BUS_WAIT ?? '60') * 1000;
for (let attempt = 1; ; attempt++) {
  try {
    const now = await ensure();
    console.log(`ensure-stream: stream ${stream} has ${now} replica(s) on ${servers.join(', ')}`);
    process.exit(now >= replicas ? 0 : 1);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (Date.now() >= deadline) {
      console.error(`ensure-stream: gave up after ${attempt} attempt(s): ${why}`);
      process.exit(1);
    }
    console.error(`ensure-stream: attempt ${attempt}: ${why}; trying again`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
