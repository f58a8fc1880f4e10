/**
 * One region on one machine: the store and bus, then every service that
 * services/ declares (per-zone ones once per zone), each given the whole
 * endpoint map up front so that services which call each other can start in
 * any order. The result is written to `<home>/region.json`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, type EventBus } from '@nimbus/events';
import {
  type RegionFile,
  readRegionFile,
  regionFilePath,
  removeRegionFile,
  writeRegionFile,
} from '@nimbus/runtime';
import { createEmbeddedStore, type Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { startBackingServices } from './backing-services.js';
import { loadOrCreateCredentials } from './credentials.js';
import { launchInProcess } from './in-process-launcher.js';
import type { LaunchedService } from './launched-service.js';
import { stopLeftovers } from './leftovers.js';
import { launchProcess } from './process-launcher.js';
import type { RegionOptions } from './region-options.js';
import { discoverServices, type ServiceManifest } from './service-manifest.js';

export interface Region {
  file: RegionFile;
  /** Stops services in reverse start order, then the store and bus, and removes region.json. */
  stop(): Promise<void>;
}

interface Planned {
  manifest: ServiceManifest;
  name: string;
  zone: string | undefined;
  address: string;
  /** host:port of its GET /metrics. */
  metricsAddress: string;
}

/**
 * `count` distinct free ports on 127.0.0.1: all held open at once while the
 * kernel picks them, so that no two services are planned on one port (probing
 * one port at a time could hand the same one out twice).
 */
async function distinctFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function plan(options: RegionOptions): Promise<Planned[]> {
  const instances: { manifest: ServiceManifest; name: string; zone: string | undefined }[] = [];
  for (const manifest of discoverServices(options.servicesDir)) {
    const zones = manifest.perZone ? options.zones : [undefined];
    for (const zone of zones) {
      instances.push({ manifest, name: zone ? `${manifest.name}-${zone}` : manifest.name, zone });
    }
  }
  const ports = await distinctFreePorts(instances.length * 2);
  return instances.map((instance, i) => ({
    ...instance,
    address: `127.0.0.1:${ports[2 * i]}`,
    metricsAddress: `127.0.0.1:${ports[2 * i + 1]}`,
  }));
}

/**
 * Starts the region; if `signal` aborts meanwhile (Ctrl-C during start-up),
 * stops what already runs and rejects with the signal's reason.
 */
export async function startRegion(
  options: RegionOptions,
  logger: Logger,
  signal?: AbortSignal,
): Promise<Region> {
  mkdirSync(join(options.home, 'logs'), { recursive: true });
  const previousPath = regionFilePath(options.home);
  const previous = readRegionFile(previousPath);
  await stopLeftovers(
    previous && { pid: previous.pid, children: [...previous.backingPids, ...servicePids(previous)] },
    options.home,
    logger,
  );
  const credentials = loadOrCreateCredentials(options.home);
  const backing = await startBackingServices(options.home, options.backing, logger);
  if (signal?.aborted) {
    await backing.stop();
    signal.throwIfAborted();
  }
  const embedded: { store: Store; bus: EventBus } | undefined =
    backing.store.kind === 'embedded'
      ? { store: createEmbeddedStore(), bus: createEmbeddedEventBus() }
      : undefined;
  const launched: LaunchedService[] = [];
  const stop = async () => {
    for (const service of launched.reverse()) {
      await service
        .stop()
        .catch((error: unknown) => logger.error({ err: error, service: service.name }, 'stop failed'));
    }
    await embedded?.bus.close();
    await embedded?.store.close();
    await backing.stop();
    removeRegionFile(options.home);
  };
  try {
    const planned = await plan(options);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NIMBUS_HOME: options.home,
      NIMBUS_REGION: options.region,
      NIMBUS_ZONES: options.zones.join(','),
      NIMBUS_STORE_ENDPOINTS: backing.store.endpoints.join(','),
      NIMBUS_BUS_SERVERS: backing.bus.servers.join(','),
      NIMBUS_ENDPOINTS: JSON.stringify(Object.fromEntries(planned.map((p) => [p.name, p.address]))),
      NIMBUS_AUTH_TOKENS: `${credentials.token}=${credentials.accountId}`,
      // The services' secret for calling each other for an account; new at every start.
      NIMBUS_SERVICE_TOKEN: randomBytes(24).toString('base64url'),
      // On one machine instances are processes that mostly wait: each worker offers 8 vCPUs per
      // host CPU (each instance is still held to its type's CPUs by its cgroup), so that a
      // laptop runs a handful of t3.micro per zone. NIMBUS_WORKER_VCPUS overrides it.
      NIMBUS_WORKER_VCPUS: process.env.NIMBUS_WORKER_VCPUS ?? String(8 * availableParallelism()),
    };
    for (const service of planned) {
      signal?.throwIfAborted();
      const { manifest, name, zone, address } = service;
      const common = { manifest, name, zone, address, logger };
      const serviceEnv = { ...env, NIMBUS_LISTEN: address, NIMBUS_METRICS_LISTEN: service.metricsAddress };
      launched.push(
        embedded
          ? await launchInProcess({ ...common, env: serviceEnv, store: embedded.store, bus: embedded.bus })
          : await launchProcess({
              ...common,
              env: serviceEnv,
              logDir: join(options.home, 'logs'),
              startTimeoutMs: options.startTimeoutMs,
            }),
      );
      logger.info({ service: service.name, address: service.address }, 'service is SERVING');
    }
    const aws = launched.some((s) => s.name === 'gateway') ? readGatewayFile(options.home) : undefined;
    const file: RegionFile = {
      region: options.region,
      zones: options.zones,
      home: options.home,
      store: backing.store,
      bus: backing.bus,
      services: Object.fromEntries(
        launched.map((s, index) => [
          s.name,
          {
            address: s.address,
            grpcServices: s.grpcServices,
            metrics: `http://${planned[index]?.metricsAddress}/metrics`,
            ...(s.pid ? { pid: s.pid } : {}),
          },
        ]),
      ),
      defaultAccount: credentials,
      ...(aws ? { aws } : {}),
      pid: process.pid,
      backingPids: backing.pids,
      startedAt: new Date().toISOString(),
    };
    signal?.throwIfAborted();
    writeRegionFile(options.home, file);
    return { file, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** What the gateway wrote at its start: its URL and a ready-made access key (see services/gateway). */
function readGatewayFile(home: string): RegionFile['aws'] {
  try {
    return JSON.parse(readFileSync(join(home, 'gateway.json'), 'utf8')) as RegionFile['aws'];
  } catch {
    return undefined;
  }
}

function servicePids(file: RegionFile): number[] {
  return Object.values(file.services).flatMap((s) => (s.pid ? [s.pid] : []));
}
