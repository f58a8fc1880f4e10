/**
 * A Nimbus service defined once and hosted two ways: as its own process
 * (`runServiceModule` in its main.ts, with etcd and NATS from the environment,
 * as docker-compose or Helm start it), or inside the region launcher, sharing
 * the embedded store and bus (`hostServiceModule`). The module builds its gRPC
 * implementations and background work from a context; the host does the rest:
 * configuration, authentication, the server, health, shutdown.
 */
import type { DescService } from '@bufbuild/protobuf';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import { openEtcdStore, type Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { staticTokens, withServiceToken } from './authenticator.js';
import { createClient } from './client.js';
import type { Client } from './client-types.js';
import { ConfigError, type ConfigSpec, readConfig } from './config.js';
import { createLogger } from './logger.js';
import { createServiceMetrics, type ServiceMetrics, serveMetrics } from './metrics.js';
import { runService, type ServiceState } from './run-service.js';
import { createServer } from './server.js';
import type { ServiceRegistration } from './service-impl.js';
import { createServiceTracing, type TraceJoiner, untracedJoiner } from './tracing.js';

export interface ServiceContext {
  /** Its name in the region, e.g. `network` or `worker-nimbus-1a`. */
  name: string;
  logger: Logger;
  store: Store;
  bus: EventBus;
  /** Other services' gRPC addresses by name (`NIMBUS_ENDPOINTS`). */
  endpoints: Readonly<Record<string, string>>;
  /** The environment its own settings come from: `readConfig(spec, context.env)`. */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * A client of another service of the region, by its name in `endpoints`,
   * holding the region's service token (`NIMBUS_SERVICE_TOKEN`): each call says
   * which account it acts for (`{ accountId }`). Closed by the host at stop.
   */
  connect<S extends DescService>(service: S, name: string): Client<S>;
  /** Its Prometheus metrics: add domain gauges to `registry`, expose controllers with `watchController`. */
  metrics: ServiceMetrics;
  /** Joins work done later (a controller's steps) to the trace of the request that asked for it. */
  tracing: TraceJoiner;
}

export interface ServiceParts {
  /** What its gRPC server serves. */
  services: readonly ServiceRegistration<DescService>[];
  /**
   * Long-running work (controllers, listeners), started once the server
   * listens; resolves when the signal aborts. A rejection is logged and the
   * service reports NOT_SERVING, so that its supervisor sees it.
   */
  run?(signal: AbortSignal): Promise<void>;
  /** Releases what `start` made, after the server has drained and `run` resolved. */
  close?(): Promise<void>;
}

export interface ServiceModule {
  readonly name: string;
  start(context: ServiceContext): Promise<ServiceParts>;
}

/** A module hosted and listening. */
export interface HostedService {
  address: string;
  /** host:port of its GET /metrics endpoint, unless metrics are off. */
  metricsAddress?: string;
  /** Fully qualified names of the gRPC services it serves. */
  grpcServices: string[];
  stop(): Promise<void>;
}

export function isServiceModule(value: unknown): value is ServiceModule {
  const candidate = value as Partial<ServiceModule> | undefined;
  return typeof candidate?.name === 'string' && typeof candidate.start === 'function';
}

const hostingSpec = {
  listen: {
    env: 'NIMBUS_LISTEN',
    default: '127.0.0.1:0',
    description: 'host:port the gRPC server binds (port 0: any free one)',
  },
  authTokens: {
    env: 'NIMBUS_AUTH_TOKENS',
    parse: 'list',
    required: true,
    description: 'bearer tokens and their accounts, as token=123456789012 pairs separated by commas',
  },
  endpoints: {
    env: 'NIMBUS_ENDPOINTS',
    default: '{}',
    description: 'JSON object of the other services: name -> host:port',
  },
  serviceToken: {
    env: 'NIMBUS_SERVICE_TOKEN',
    default: '',
    description:
      "the region's secret for calls between its services (at least 16 characters): needed to call another service, and to be called by one",
  },
  otlpEndpoint: {
    env: 'NIMBUS_OTLP_ENDPOINT',
    default: '',
    description:
      'OTLP/HTTP traces URL to send spans to, e.g. http://127.0.0.1:4318/v1/traces (empty: no tracing)',
  },
  metricsListen: {
    env: 'NIMBUS_METRICS_LISTEN',
    default: '127.0.0.1:0',
    description:
      "host:port where GET /metrics answers in Prometheus's text format (port 0: any free one; 'off': none)",
  },
  shutdownGraceMs: {
    env: 'NIMBUS_SHUTDOWN_GRACE',
    parse: 'duration',
    default: 10_000,
    description: 'how long calls in flight may run on after SIGTERM',
  },
} satisfies ConfigSpec;

const backingSpec = {
  storeEndpoints: {
    env: 'NIMBUS_STORE_ENDPOINTS',
    parse: 'list',
    required: true,
    description: 'etcd client URLs, e.g. http://127.0.0.1:2379',
  },
  busServers: {
    env: 'NIMBUS_BUS_SERVERS',
    parse: 'list',
    required: true,
    description: 'NATS server URLs, e.g. nats://127.0.0.1:4222',
  },
} satisfies ConfigSpec;

function invalid(variable: { env: string; description: string }, problem: string): ConfigError {
  return new ConfigError([{ env: variable.env, problem, description: variable.description }]);
}

function parseTokens(pairs: readonly string[]): Map<string, string> {
  const tokens = new Map<string, string>();
  for (const pair of pairs) {
    const [token, accountId] = pair.split('=');
    if (!token || !accountId || !/^\d{12}$/.test(accountId)) {
      // Never echo a whole token: it is a secret.
      throw invalid(
        hostingSpec.authTokens,
        `has '${pair.slice(0, 4)}…', which is not token=<12-digit account id>`,
      );
    }
    tokens.set(token, accountId);
  }
  return tokens;
}

function parseEndpoints(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(hostingSpec.endpoints, `is not JSON, got '${text}'`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(hostingSpec.endpoints, `is not a JSON object, got '${text}'`);
  }
  return parsed as Record<string, string>;
}

function splitHostPort(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen);
  if (!match?.[1] || !match[2]) throw invalid(hostingSpec.listen, `is not host:port, got '${listen}'`);
  return { host: match[1], port: Number(match[2]) };
}

/** The hosting settings, checked whole: a ConfigError names whatever is wrong. */
function hostingConfig(env: Readonly<Record<string, string | undefined>>) {
  const config = readConfig(hostingSpec, env);
  const { host: bindHost, port } = splitHostPort(config.listen);
  const metricsListen = config.metricsListen === 'off' ? undefined : splitHostPort(config.metricsListen);
  if (config.serviceToken && config.serviceToken.length < 16) {
    throw invalid(hostingSpec.serviceToken, 'is shorter than 16 characters');
  }
  return {
    config,
    tokens: parseTokens(config.authTokens),
    endpoints: parseEndpoints(config.endpoints),
    bindHost,
    port,
    metricsListen,
  };
}

/** Starts a module on a given store and bus: reads the hosting settings, builds, listens, runs. */
export async function hostServiceModule(
  module: ServiceModule,
  host: { store: Store; bus: EventBus; logger: Logger; env: Readonly<Record<string, string | undefined>> },
): Promise<HostedService> {
  const { config, tokens, endpoints, bindHost, port, metricsListen } = hostingConfig(host.env);
  const name = host.env.NIMBUS_SERVICE_NAME ?? module.name;
  const metrics = createServiceMetrics(name);
  const tracing = config.otlpEndpoint
    ? createServiceTracing(name, { endpoint: config.otlpEndpoint })
    : undefined;
  const bus = metrics.instrumentBus(host.bus);
  const clients: Client<DescService>[] = [];
  const closeClients = () => {
    for (const client of clients.splice(0)) client.close();
  };
  const connect = <S extends DescService>(service: S, target: string): Client<S> => {
    const address = endpoints[target];
    if (address === undefined) {
      throw invalid(hostingSpec.endpoints, `has no '${target}', which ${name} calls`);
    }
    if (!config.serviceToken) {
      throw invalid(hostingSpec.serviceToken, `is not set, and ${name} calls '${target}'`);
    }
    const client = createClient(service, address, { token: config.serviceToken });
    clients.push(client as unknown as Client<DescService>);
    return client;
  };
  let parts: ServiceParts;
  try {
    parts = await module.start({
      name,
      logger: host.logger,
      store: metrics.instrumentStore(host.store),
      bus: tracing ? tracing.instrumentBus(bus) : bus,
      endpoints,
      env: host.env,
      connect,
      metrics: { registry: metrics.registry, watchController: metrics.watchController, gauge: metrics.gauge },
      tracing: tracing?.joiner ?? untracedJoiner,
    });
  } catch (error) {
    closeClients();
    await tracing?.shutdown();
    throw error;
  }
  const users = staticTokens(tokens);
  let server: ReturnType<typeof createServer> | undefined;
  let bound: number;
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    server = createServer({
      logger: host.logger,
      authenticator: config.serviceToken ? withServiceToken(users, config.serviceToken) : users,
      services: parts.services,
      observers: tracing ? [tracing.interceptor, metrics.interceptor] : [metrics.interceptor],
    });
    bound = await server.listen(bindHost, port);
    if (metricsListen) metricsServer = await serveMetrics(metrics, metricsListen.host, metricsListen.port);
  } catch (error) {
    await (server as ReturnType<typeof createServer> | undefined)?.shutdown(0);
    await parts.close?.();
    closeClients();
    await tracing?.shutdown();
    throw error;
  }
  const background = new AbortController();
  const running = (parts.run?.(background.signal) ?? Promise.resolve()).catch((error: unknown) => {
    host.logger.error({ err: error }, `${name}: background work failed; reporting NOT_SERVING`);
    server.health.set('', 'NOT_SERVING');
  });
  return {
    address: `${bindHost}:${bound}`,
    ...(metricsListen && metricsServer
      ? { metricsAddress: `${metricsListen.host}:${metricsServer.port}` }
      : {}),
    grpcServices: parts.services.map(({ service }) => service.typeName),
    async stop() {
      await server.shutdown(config.shutdownGraceMs);
      background.abort();
      await running;
      await parts.close?.();
      closeClients();
      await metricsServer?.close();
      await tracing?.shutdown();
    },
  };
}

/**
 * A service process's whole main: connects to etcd and NATS from
 * `NIMBUS_STORE_ENDPOINTS` and `NIMBUS_BUS_SERVERS`, hosts the module, and
 * stops it on SIGTERM. Missing settings or unreachable servers end the
 * process with a clear message and exit code 1, never a hang.
 */
export function runServiceModule(
  module: ServiceModule,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServiceState> {
  const name = env.NIMBUS_SERVICE_NAME ?? module.name;
  const logger = createLogger({ service: name });
  return runService({
    name,
    logger,
    async start() {
      // Every missing setting at once, the hosting ones included, before dialling anything.
      const backing = readConfig({ ...hostingSpec, ...backingSpec }, env);
      hostingConfig(env);
      const store = await openEtcdStore({ endpoints: backing.storeEndpoints });
      let bus: EventBus;
      try {
        bus = await openNatsEventBus({ servers: backing.busServers, name });
      } catch (error) {
        await store.close();
        throw error;
      }
      let hosted: HostedService;
      try {
        hosted = await hostServiceModule(module, { store, bus, logger, env });
      } catch (error) {
        await bus.close();
        await store.close();
        throw error;
      }
      return {
        address: hosted.address,
        async stop() {
          await hosted.stop();
          await bus.close();
          await store.close();
        },
      };
    },
  });
}
