/**
 * The event bus on NATS JetStream: one file-backed stream (default `NIMBUS`)
 * on every event subject, the event id as `Nats-Msg-Id` so the stream drops a
 * duplicate inside its window, and a durable pull consumer per durable name.
 *
 * Availability: opening fails fast with `BusUnavailableError` when no server
 * answers. Afterwards the client reconnects forever; while it is disconnected,
 * publish rejects at once with `BusUnavailableError` (rather than queueing),
 * and subscriptions resume by themselves once the server is back.
 */

import {
  type ConnectionOptions,
  connect,
  DiscardPolicy,
  Events,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  nanos,
  headers as natsHeaders,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from 'nats';
import { encodeEvent, eventFromInput } from './envelope.js';
import {
  BusUnavailableError,
  DEFAULT_DUPLICATE_WINDOW_MS,
  type EventBus,
  type PublishAck,
  type PublishInput,
  type SubscribeOptions,
  type Subscription,
} from './event-bus.js';
import { translateError } from './nats-errors.js';
import { openNatsSubscription } from './nats-subscription.js';
import { EVENT_SUBJECTS } from './subjects.js';
import { resolveSubscribeOptions } from './subscribe-options.js';

export interface NatsEventBusOptions {
  /** Server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** The stream's name. Default `NIMBUS`. */
  stream?: string;
  /** How long opening may take before it fails with `BusUnavailableError`. Default 2 s. */
  connectTimeoutMs?: number;
  /** How long a publish waits for the stream's ack. Default 2 s. */
  publishTimeoutMs?: number;
  /** How long the stream remembers an event id for dedupe. Default 2 min. */
  duplicateWindowMs?: number;
  /** How long the stream keeps events. Default 7 days. */
  maxAgeMs?: number;
  /** Stream replicas: 1 on one machine, 3 on a 3-node cluster. Default 1. */
  replicas?: number;
  /** Messages a consumer pulls at once. Default 64. */
  pullBatch?: number;
  /** The connection's name as the server shows it. */
  name?: string;
}

const DEFAULT_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** Connects, makes sure the stream exists with our settings, and returns the bus. */
export async function openNatsEventBus(options: NatsEventBusOptions): Promise<NatsEventBus> {
  const servers = Array.isArray(options.servers) ? options.servers : [options.servers];
  const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
  const connection: ConnectionOptions = {
    servers,
    timeout: connectTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    ...(options.name ? { name: options.name } : {}),
  };
  let nc: NatsConnection;
  try {
    nc = await connect(connection);
  } catch (error) {
    throw new BusUnavailableError(`cannot connect to NATS at ${servers.join(', ')}: ${reason(error)}`, {
      cause: error,
    });
  }
  const stream = options.stream ?? 'NIMBUS';
  // Past this point a failure must not leave a reconnecting client behind.
  const where = `NATS at ${servers.join(', ')}`;
  let jsm: JetStreamManager;
  try {
    jsm = await nc.jetstreamManager({ timeout: connectTimeoutMs });
  } catch (error) {
    await nc.close();
    const why = `${where} answered but has no JetStream (start it with --jetstream)`;
    throw new BusUnavailableError(`${why}: ${reason(error)}`, { cause: error });
  }
  try {
    await ensureStream(jsm, streamConfig(stream, options));
  } catch (error) {
    await nc.close();
    throw new BusUnavailableError(`cannot set up stream ${stream} on ${where}: ${reason(error)}`, {
      cause: error,
    });
  }
  const js = nc.jetstream({ timeout: options.publishTimeoutMs ?? 2_000 });
  return new NatsEventBus(nc, js, jsm, stream, servers, options.pullBatch ?? 64);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function streamConfig(name: string, options: NatsEventBusOptions): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [EVENT_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    max_age: nanos(options.maxAgeMs ?? DEFAULT_MAX_AGE_MS),
    num_replicas: options.replicas ?? 1,
  };
}

/** Creates the stream, or brings an existing one to our subjects and windows. */
async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }) {
  const existing = await jsm.streams.info(config.name).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add(config);
    return;
  }
  const current = existing.config;
  if (
    current.subjects?.join() !== config.subjects?.join() ||
    current.duplicate_window !== config.duplicate_window ||
    current.max_age !== config.max_age
  ) {
    await jsm.streams.update(config.name, {
      ...current,
      subjects: config.subjects ?? [],
      duplicate_window: config.duplicate_window ?? current.duplicate_window,
      max_age: config.max_age ?? current.max_age,
    });
  }
}

export class NatsEventBus implements EventBus {
  private connected = true;
  private closed = false;
  private readonly subscriptions = new Set<Subscription>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly servers: readonly string[],
    private readonly pullBatch: number,
  ) {
    void this.watchConnection();
  }

  async publish(input: PublishInput): Promise<PublishAck> {
    const event = eventFromInput(input);
    this.assertUsable('publishing');
    try {
      const headers = input.headers && Object.keys(input.headers).length > 0 ? natsHeaders() : undefined;
      for (const [name, value] of Object.entries(input.headers ?? {})) headers?.set(name, value);
      const ack = await this.js.publish(event.subject, encodeEvent(event), {
        msgID: event.id,
        expect: { streamName: this.stream },
        ...(headers ? { headers } : {}),
      });
      return { id: event.id, sequence: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      throw translateError(error, this.servers, `publishing ${event.subject}`);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const resolved = resolveSubscribeOptions(options);
    this.assertUsable(`subscribing durable ${resolved.durable}`);
    const context = {
      nc: this.nc,
      js: this.js,
      jsm: this.jsm,
      stream: this.stream,
      servers: this.servers,
      batch: this.pullBatch,
    };
    const inner = await openNatsSubscription(context, resolved);
    const subscription: Subscription = {
      durable: inner.durable,
      close: async () => {
        this.subscriptions.delete(subscription);
        await inner.close();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.nc.close();
  }

  private assertUsable(doing: string): void {
    if (this.closed) throw new BusUnavailableError(`${doing}: the event bus is closed`);
    if (!this.connected) {
      throw new BusUnavailableError(
        `${doing}: NATS at ${this.servers.join(', ')} is unreachable (disconnected, reconnecting)`,
      );
    }
  }

  /** Tracks the connection so a publish during an outage fails at once instead of queueing. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === Events.Disconnect) this.connected = false;
      else if (status.type === Events.Reconnect) this.connected = true;
    }
  }
}
