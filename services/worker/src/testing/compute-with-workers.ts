/**
 * Compute as the worker agent meets it in the region: the real compute,
 * network, block-storage and image services on one real etcd and NATS (per
 * test file), and worker agents hosted as the region hosts them, each with
 * its home in a temporary directory. Images are made from a blank ext4
 * volume's snapshot, so instances boot in a really mounted root volume.
 *
 *   const region = useComputeWithWorkers();
 *   const worker = await region.startWorker('nimbus-1a');
 *   const imageId = await region.image('sleep infinity');
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { createBlockStorageServiceModule } from '@nimbus/block-storage';
import { createComputeServiceModule } from '@nimbus/compute';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import { createImageServiceModule } from '@nimbus/image';
import { createNetworkServiceModule } from '@nimbus/network';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll } from 'vitest';
import { deviceRootVolumes } from '../process/device-root-volumes.js';
import { createProcessRuntime } from '../process/process-runtime.js';
import { createWorkerServiceModule } from '../service.js';

export const accountA = '111111111111';

export interface HostedWorker {
  name: string;
  home: string;
  /** Its Prometheus endpoint, `http://host:port/metrics`. */
  metricsUrl: string;
  /** Stops the agent (its instances too, unless it was started with `keepInstances`). */
  stop(): Promise<void>;
}

export interface WorkerStart {
  /** Start where a previous worker ran (its home), as a restarted worker does. */
  home?: string;
  /** At stop, leave the instances running, as when only the worker process dies. */
  keepInstances?: boolean;
}

export interface ComputeWithWorkers {
  client: Client<typeof ComputeService>;
  /** Hosts a worker agent for the zone (process runtime). */
  startWorker(zone: string, start?: WorkerStart): Promise<HostedWorker>;
  /** An available image of account A whose root volume is a blank ext4 volume. */
  image(bootCommand: string): Promise<string>;
}

export interface ComputeWithWorkersOptions {
  /** Extra environment of compute (lease and grace durations). */
  computeEnv?: Record<string, string>;
}

export function useComputeWithWorkers(options: ComputeWithWorkersOptions = {}): ComputeWithWorkers {
  const serviceToken = `worker-tests-${randomUUID()}`;
  const tokens = `token-a=${accountA}`;
  let etcd: EtcdServer | undefined;
  let nats: NatsServer | undefined;
  let store: Store | undefined;
  let bus: EventBus | undefined;
  const hosted: HostedService[] = [];
  const workers = new Set<HostedWorker>();
  const endpoints: Record<string, string> = {};
  const dirs: string[] = [];
  const homes = new Set<string>();
  const clients: { close(): void }[] = [];
  let handles:
    | {
        client: Client<typeof ComputeService>;
        storage: Client<typeof BlockStorageService>;
        images: Client<typeof ImageService>;
      }
    | undefined;

  const host = (
    name: string,
    module: Parameters<typeof hostServiceModule>[0],
    env: Record<string, string>,
  ) => {
    if (!store || !bus) throw new Error('no store');
    return hostServiceModule(module, {
      store,
      bus,
      logger: createLogger({
        service: name,
        level: name.startsWith('worker')
          ? ((process.env.NIMBUS_TEST_LOG as 'info' | undefined) ?? 'silent')
          : 'silent',
      }),
      env: {
        NIMBUS_AUTH_TOKENS: tokens,
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_ZONES: 'nimbus-1a,nimbus-1b',
        NIMBUS_ENDPOINTS: JSON.stringify(endpoints),
        NIMBUS_SERVICE_NAME: name,
        ...env,
      },
    });
  };
  const tempDir = async (prefix: string) => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
    bus = await openNatsEventBus({ servers: nats.endpoint });
    const storage = await host('block-storage', createBlockStorageServiceModule(), {
      NIMBUS_STORAGE_ROOT: await tempDir('nimbus-worker-storage-'),
    });
    endpoints['block-storage'] = storage.address;
    const network = await host('network', createNetworkServiceModule(), { NIMBUS_EDGE: 'false' });
    endpoints.network = network.address;
    const images = await host('image', createImageServiceModule({ pollMs: 50 }), {
      NIMBUS_IMAGE_WORK_DIR: await tempDir('nimbus-worker-images-'),
      NIMBUS_PROVIDED_IMAGES: 'false',
    });
    endpoints.image = images.address;
    const compute = await host('compute', createComputeServiceModule(), {
      NIMBUS_STOP_TIMEOUT: '2s',
      ...options.computeEnv,
    });
    endpoints.compute = compute.address;
    hosted.push(storage, network, images, compute);
    const client = <S extends Parameters<typeof createClient>[0]>(service: S, address: string) => {
      const made = createClient(service, address, { token: 'token-a' });
      clients.push(made);
      return made;
    };
    handles = {
      client: client(ComputeService, compute.address),
      storage: client(BlockStorageService, storage.address),
      images: client(ImageService, images.address),
    };
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    // Whatever a worker kept running (a test that failed midway), a last runtime on its home stops.
    for (const home of homes) {
      const logger = createLogger({ service: 'cleanup', level: 'silent' });
      const workerId = (await readFile(join(home, 'worker-id'), 'utf8').catch(() => '')).trim();
      if (!workerId) continue;
      const runtime = createProcessRuntime({
        home,
        workerId,
        logger,
        rootVolumes: deviceRootVolumes(join(home, 'roots'), logger),
      });
      await runtime.recover();
      await runtime.close();
    }
    for (const c of clients) c.close();
    for (const service of hosted.reverse()) await service.stop();
    await bus?.close();
    await store?.close();
    await Promise.all([etcd?.dispose(), nats?.dispose()]);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  const running = () => {
    if (!handles) throw new Error('the region runs only inside the tests of its file');
    return handles;
  };

  return {
    get client() {
      return running().client;
    },
    async startWorker(zone, start = {}) {
      const workerHome = start.home ?? (await tempDir(`nimbus-worker-${zone}-`));
      const name = `worker-${zone}`;
      homes.add(workerHome);
      const service = await host(name, createWorkerServiceModule(), {
        NIMBUS_ZONE: zone,
        NIMBUS_WORKER_HOME: workerHome,
        NIMBUS_WORKER_SAMPLE_INTERVAL: '200ms',
        NIMBUS_WORKER_STOP_GRACE: '2s',
        NIMBUS_WORKER_KEEP_INSTANCES: String(start.keepInstances ?? false),
      });
      const worker: HostedWorker = {
        name,
        home: workerHome,
        metricsUrl: `http://${service.metricsAddress}/metrics`,
        async stop() {
          if (!workers.has(worker)) return;
          workers.delete(worker);
          await service.stop();
        },
      };
      workers.add(worker);
      return worker;
    },
    async image(bootCommand) {
      const { storage, images } = running();
      const { volume } = await storage.createVolume({ availabilityZone: 'nimbus-1a', size: 1 });
      const volumeId = volume?.volumeId ?? '';
      await waitUntil(
        async () =>
          (await storage.describeVolumes({ volumeIds: [volumeId] })).volumes[0]?.state === 'available',
      );
      const { snapshot } = await storage.createSnapshot({ volumeId });
      const snapshotId = snapshot?.snapshotId ?? '';
      await waitUntil(
        async () =>
          (await storage.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots[0]?.state ===
          'completed',
      );
      await storage.deleteVolume({ volumeId });
      const { imageId } = await images.registerImage({
        name: `worker-test-${randomUUID().slice(0, 8)}`,
        bootCommand,
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { snapshotId, volumeSize: 1 } }],
      });
      await waitUntil(
        async () => (await images.describeImages({ imageIds: [imageId] })).images[0]?.state === 'available',
      );
      return imageId;
    },
  };
}
