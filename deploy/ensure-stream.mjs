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
 * Exit 0 when the stream has at least that many replicas, 1 otherwise.
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

try {
  const bus = await openNatsEventBus({ servers, stream, replicas, connectTimeoutMs: 10_000 });
  await bus.close();
  const nc = await connect({ servers, timeout: 10_000 });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream);
    if (info.config.num_replicas < replicas) {
      await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
    }
    const now = await jsm.streams.info(stream);
    console.log(
      `ensure-stream: stream ${stream} has ${now.config.num_replicas} replica(s) on ${servers.join(', ')}`,
    );
    if (now.config.num_replicas < replicas) process.exitCode = 1;
  } finally {
    await nc.close();
  }
} catch (error) {
  console.error(`ensure-stream: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
