/**
 * The worker agent as a module the region hosts (one per zone, named
 * `worker-<zone>`) or its own main.ts runs as a process: the runtime chosen
 * by NIMBUS_WORKER_RUNTIME, the instance metadata service (process runtime),
 * and the agent's stream to compute's WorkerService. It serves no gRPC
 * service of its own beyond health. At start it re-adopts the instances a
 * previous worker process left running; at stop it stops its instances
 * unless NIMBUS_WORKER_KEEP_INSTANCES (see README).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkerService } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import type { ServiceContext, ServiceModule } from '@nimbus/runtime';
import { openActedStore } from './agent/acted-generations.js';
import { createWorkerAgent } from './agent/worker-agent.js';
import { createFakeRuntime } from './fake/fake-runtime.js';
import { createMetadataService } from './imds/metadata-service.js';
import { loadTokenKey } from './imds/metadata-tokens.js';
import { deviceRootVolumes } from './process/device-root-volumes.js';
import { createProcessRuntime } from './process/process-runtime.js';
import type { InstanceRuntime, ObservedInstance } from './runtime/instance-runtime.js';
import { readWorkerConfig, type WorkerConfig } from './worker-config.js';

export const workerVersion = '0.1.0';

/** This worker's identity on the host (see ProcessRuntimeOptions.workerId), made once and kept in its home. */
async function loadOrCreateWorkerId(home: string): Promise<string> {
  const path = join(home, 'worker-id');
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{16}$/.test(id)) return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomBytes(8).toString('hex');
  await writeFile(path, id);
  return id;
}

async function createRuntime(
  config: WorkerConfig,
  logger: Parameters<typeof createProcessRuntime>[0]['logger'],
): Promise<InstanceRuntime> {
  if (config.runtime === 'fake') return createFakeRuntime({ bootDelayMs: config.fakeBootDelayMs });
  const metadata = createMetadataService({
    tokenKey: await loadTokenKey(join(config.home, 'imds-key')),
    logger,
  });
  return createProcessRuntime({
    home: config.home,
    workerId: await loadOrCreateWorkerId(config.home),
    logger,
    metadata,
    rootVolumes: deviceRootVolumes(join(config.home, 'roots'), logger),
    stopGraceMs: config.stopGraceMs,
    sampleIntervalMs: config.sampleIntervalMs,
    cgroups: config.cgroups,
  });
}

/** What each instance uses, as Prometheus gauges read from the runtime's last samples. */
function publishUsage(metrics: ServiceContext['metrics'], runtime: InstanceRuntime): void {
  const sampled = (read: (usage: NonNullable<ObservedInstance['usage']>) => number) => () =>
    runtime
      .observe()
      .flatMap((instance) =>
        instance.usage ? [{ labels: { instance_id: instance.instanceId }, value: read(instance.usage) }] : [],
      );
  metrics.gauge({
    name: 'nimbus_instance_cpu_percent',
    help: 'CPU an instance used over the last sample interval, in percent of one vCPU',
    labelNames: ['instance_id'],
    collect: sampled((usage) => usage.cpuPercent),
  });
  metrics.gauge({
    name: 'nimbus_instance_memory_bytes',
    help: "Resident memory of an instance's process tree",
    labelNames: ['instance_id'],
    collect: sampled((usage) => usage.memoryBytes),
  });
  metrics.gauge({
    name: 'nimbus_worker_instances',
    help: 'Instances on this worker by phase',
    labelNames: ['phase'],
    collect: () => {
      const byPhase = new Map<string, number>();
      for (const { phase } of runtime.observe()) byPhase.set(phase, (byPhase.get(phase) ?? 0) + 1);
      return [...byPhase].map(([phase, value]) => ({ labels: { phase }, value }));
    },
  });
}

export function createWorkerServiceModule(): ServiceModule {
  return {
    name: 'worker',
    async start(context) {
      const config = readWorkerConfig(context.env, context.name);
      const client = context.connect(WorkerService, 'compute');
      await mkdir(config.home, { recursive: true });
      const runtime = await createRuntime(config, context.logger);
      const acted = await openActedStore(
        config.runtime === 'process' ? join(config.home, 'agent') : undefined,
      );
      const agent = createWorkerAgent({
        name: context.name,
        zone: config.zone,
        region: config.region,
        vcpus: config.vcpus,
        memoryMiB: config.memoryMiB,
        address: context.env.NIMBUS_LISTEN ?? '',
        version: workerVersion,
        runtime,
        client,
        accountId: config.accountId,
        acted,
        logger: context.logger,
        tracing: context.tracing,
      });
      publishUsage(context.metrics, runtime);
      context.logger.info(
        {
          zone: config.zone,
          runtime: config.runtime,
          vcpus: config.vcpus,
          memoryMiB: config.memoryMiB,
          home: config.home,
        },
        'worker starting',
      );
      return {
        services: [],
        run: (signal) => agent.run(signal),
        close: () => runtime.close({ keepInstances: config.keepInstances }),
      };
    },
  };
}

export const serviceModule: ServiceModule = createWorkerServiceModule();
