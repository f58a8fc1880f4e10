/**
 * Prometheus metrics of one service (prom-client), in a registry of its own so
 * that services hosted in one process (the embedded region) keep theirs
 * apart: per gRPC method the calls by outcome and their latency, the store's
 * operation latency, the lag of delivered events, each controller's queue and
 * reconciles, and whatever domain gauges the module adds to `registry`.
 * Served as text on GET /metrics.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { EventBus } from '@nimbus/events';
import type { Store } from '@nimbus/store';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { isDomainError } from './domain-error.js';
import type { ServerInterceptor } from './inbound-call.js';

/** What a controller (packages/controller) reports about itself. */
export interface ObservableController {
  metrics(): {
    controller: string;
    queueDepth: number;
    delayed: number;
    reconciles: number;
    errors: number;
    terminalErrors: number;
    durationMs: { p50: number; p99: number; max: number };
  };
}

/** One sample of a gauge: its labels and value. */
export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

export interface GaugeOptions {
  /** e.g. `nimbus_instances` (the `service` label is added). */
  name: string;
  help: string;
  labelNames: readonly string[];
  /** Read at every scrape: the gauge's samples now (series not returned are dropped). */
  collect(): GaugeSample[] | Promise<GaugeSample[]>;
}

export interface ServiceMetrics {
  /** The service's registry (prom-client), for anything beyond `gauge`. */
  readonly registry: Registry;
  /** Exposes the controller's queue depth, reconciles, errors and reconcile latency. */
  watchController(controller: ObservableController): void;
  /** A domain gauge read at scrape time, such as instances by state or volumes by type. */
  gauge(options: GaugeOptions): void;
}

/** Seconds: from a millisecond up to ten seconds, where calls, reconciles and store writes fall. */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ServiceMetricsInternals extends ServiceMetrics {
  /** Counts and times every call; outermost but request id, so that it sees the final outcome. */
  readonly interceptor: ServerInterceptor;
  /** The store, with every operation timed (watch, leases and elections pass through). */
  instrumentStore(store: Store): Store;
  /** The bus, with the lag of every delivered event observed. */
  instrumentBus(bus: EventBus): EventBus;
  /** The text exposition. */
  render(): Promise<string>;
}

export function createServiceMetrics(service: string): ServiceMetricsInternals {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const calls = new Counter({
    name: 'nimbus_grpc_requests_total',
    help: 'gRPC calls served, by method and outcome (OK or the EC2 error code)',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const callSeconds = new Histogram({
    name: 'nimbus_grpc_request_duration_seconds',
    help: 'Time to serve a gRPC call, by method',
    labelNames: ['method'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const storeSeconds = new Histogram({
    name: 'nimbus_store_operation_duration_seconds',
    help: 'Time of a store operation, by operation',
    labelNames: ['operation'],
    buckets: latencyBuckets,
    registers: [registry],
  });
  const eventLag = new Histogram({
    name: 'nimbus_event_lag_seconds',
    help: 'From an event being published to its delivery to a handler of this service, by subject',
    labelNames: ['subject'],
    buckets: latencyBuckets,
    registers: [registry],
  });

  const controllers: ObservableController[] = [];
  const controllerGauge = (
    name: string,
    help: string,
    read: (c: ReturnType<ObservableController['metrics']>) => number,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['controller'],
      registers: [registry],
      collect() {
        for (const controller of controllers) {
          const snapshot = controller.metrics();
          this.set({ controller: snapshot.controller }, read(snapshot));
        }
      },
    });
  controllerGauge(
    'nimbus_controller_queue_depth',
    'Keys waiting for a reconcile worker',
    (s) => s.queueDepth,
  );
  controllerGauge(
    'nimbus_controller_delayed_keys',
    'Keys waiting for a requeue or retry timer',
    (s) => s.delayed,
  );
  controllerGauge(
    'nimbus_controller_reconciles',
    'Reconciles since the service started',
    (s) => s.reconciles,
  );
  controllerGauge('nimbus_controller_errors', 'Reconciles that failed and will be retried', (s) => s.errors);
  controllerGauge(
    'nimbus_controller_terminal_errors',
    'Reconciles that failed for good',
    (s) => s.terminalErrors,
  );
  new Gauge({
    name: 'nimbus_controller_reconcile_seconds',
    help: 'Reconcile latency over the last 1024 reconciles, by quantile',
    labelNames: ['controller', 'quantile'],
    registers: [registry],
    collect() {
      for (const controller of controllers) {
        const { controller: name, durationMs } = controller.metrics();
        this.set({ controller: name, quantile: '0.5' }, durationMs.p50 / 1000);
        this.set({ controller: name, quantile: '0.99' }, durationMs.p99 / 1000);
        this.set({ controller: name, quantile: '1' }, durationMs.max / 1000);
      }
    },
  });

  const interceptor: ServerInterceptor = (next) => async (call) => {
    const started = performance.now();
    let code = 'OK';
    try {
      await next(call);
    } catch (error) {
      code = isDomainError(error) ? error.code : 'InternalError';
      throw error;
    } finally {
      calls.inc({ method: call.path, code });
      callSeconds.observe({ method: call.path }, (performance.now() - started) / 1000);
    }
  };

  const timed =
    <A extends unknown[], R>(operation: string, run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const end = storeSeconds.startTimer({ operation });
      try {
        return await run(...args);
      } finally {
        end();
      }
    };

  return {
    registry,
    interceptor,
    watchController(controller) {
      controllers.push(controller);
    },
    gauge(options) {
      new Gauge({
        name: options.name,
        help: options.help,
        labelNames: [...options.labelNames],
        registers: [registry],
        async collect() {
          const samples = await options.collect();
          this.reset();
          for (const { labels, value } of samples) this.set(labels, value);
        },
      });
    },
    instrumentStore(store) {
      return {
        get: timed('get', store.get.bind(store)),
        list: timed('list', store.list.bind(store)),
        create: timed('create', store.create.bind(store)),
        update: timed('update', store.update.bind(store)),
        delete: timed('delete', store.delete.bind(store)),
        txn: timed('txn', store.txn.bind(store)),
        watch: store.watch.bind(store),
        grantLease: store.grantLease.bind(store),
        keepAliveOnce: store.keepAliveOnce.bind(store),
        campaign: store.campaign.bind(store),
        revision: store.revision.bind(store),
        compact: store.compact.bind(store),
        close: store.close.bind(store),
      } satisfies Record<keyof Store, unknown>;
    },
    instrumentBus(bus) {
      return {
        publish: bus.publish.bind(bus),
        close: bus.close.bind(bus),
        subscribe(options) {
          return bus.subscribe({
            ...options,
            handler(delivered) {
              const published = delivered.event.time;
              if (published) {
                const publishedMs = Number(published.seconds) * 1000 + published.nanos / 1e6;
                eventLag.observe(
                  { subject: delivered.event.subject },
                  Math.max(0, Date.now() - publishedMs) / 1000,
                );
              }
              return options.handler(delivered);
            },
          });
        },
      };
    },
    render: () => registry.metrics(),
  };
}

/** Serves GET /metrics on host:port (0: any free port); resolves to the bound port. */
export async function serveMetrics(
  metrics: Pick<ServiceMetricsInternals, 'render' | 'registry'>,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createHttpServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: metrics are at GET /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
