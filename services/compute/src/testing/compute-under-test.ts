/**
 * The compute service as tests (and benches) meet it: hosted with the real
 * network, block-storage and image services on one real etcd and NATS, all
 * holding one service token, reached over gRPC as two accounts. Workers are
 * test workers (testing/test-worker.ts) speaking the real WorkerService protocol.
 *
 *   const compute = useComputeUnderTest();   // at the top of a test file
 *   const imageId = await compute.image();
 *   await compute.client.runInstances({ imageId, minCount: 1, maxCount: 1 });
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescService } from '@bufbuild/protobuf';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { createBlockStorageServiceModule } from '@nimbus/block-storage';
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
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { createComputeServiceModule } from '../service.js';
import { startTestWorker, type TestWorker, type TestWorkerOptions } from './test-worker.js';

export const accountA = '111111111111';
export const accountB = '222222222222';

export interface ComputeUnderTest {
  client: Client<typeof ComputeService>;
  otherAccount: Client<typeof ComputeService>;
  network: Client<typeof NetworkService>;
  storage: Client<typeof BlockStorageService>;
  images: Client<typeof ImageService>;
  store: Store;
  bus: EventBus;
  /** compute's gRPC address. */
  address: string;
  serviceToken: string;
  /** An available image of account A with a 1 GiB root snapshot. */
  image(bootCommand?: string): Promise<string>;
  /** A test worker connected to compute, registered before it returns; closed with the stack. */
  worker(options: Omit<TestWorkerOptions, 'address' | 'serviceToken'>): Promise<TestWorker>;
  /** Stops compute and starts it again on the same store, as a process restart does. */
  restartCompute(): Promise<void>;
  stopCompute(): Promise<void>;
  startCompute(): Promise<void>;
}

export interface ComputeStack extends ComputeUnderTest {
  /** Where each service of the stack listens (compute, network, block-storage, image), for services hosted beside it. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Stops everything: workers, services, the store and bus, etcd and NATS, temporary directories. */
  stop(): Promise<void>;
}

export interface ComputeUnderTestOptions {
  /** Extra environment of compute (durations for the tests). */
  env?: Record<string, string>;
  /** Environment of every service of the stack (e.g. NIMBUS_OTLP_ENDPOINT). */
  sharedEnv?: Record<string, string>;
}

/** Starts the whole stack; `stop()` ends it. For tests, `useComputeUnderTest` does both around a file. */
export async function startComputeStack(options: ComputeUnderTestOptions = {}): Promise<ComputeStack> {
  const [etcd, nats]: [EtcdServer, NatsServer] = await Promise.all([startEtcd(), startNats()]);
  try {
    return await startOn(etcd, nats, options);
  } catch (error) {
    // Nothing left behind when the stack cannot start.
    await Promise.all([etcd.dispose(), nats.dispose()]);
    throw error;
  }
}

async function startOn(
  etcd: EtcdServer,
  nats: NatsServer,
  options: ComputeUnderTestOptions,
): Promise<ComputeStack> {
  const serviceToken = `compute-tests-${randomUUID()}`;
  const tokens = `token-a=${accountA},token-b=${accountB}`;
  const store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
  const bus = await openNatsEventBus({ servers: nats.endpoint });
  const storageRoot = await mkdtemp(join(tmpdir(), 'nimbus-compute-storage-'));
  const workDir = await mkdtemp(join(tmpdir(), 'nimbus-compute-images-'));
  const peers: HostedService[] = [];
  const endpoints: Record<string, string> = {};
  const clients: { close(): void }[] = [];
  const workers: TestWorker[] = [];
  let compute: HostedService | undefined;
  let lastAddress: string | undefined;
  let image: string | undefined;

  const host = (name: string, module: Parameters<typeof hostServiceModule>[0], env: Record<string, string>) =>
    hostServiceModule(module, {
      store,
      bus,
      logger: createLogger({
        service: name,
        level:
          name === 'compute'
            ? ((process.env.NIMBUS_TEST_LOG as LevelWithSilent | undefined) ?? 'silent')
            : 'silent',
      }),
      env: {
        NIMBUS_AUTH_TOKENS: tokens,
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_ZONES: 'nimbus-1a,nimbus-1b',
        NIMBUS_ENDPOINTS: JSON.stringify(endpoints),
        ...options.sharedEnv,
        ...env,
      },
    });
  const client = <S extends DescService>(service: S, address: string, token: string) => {
    const made = createClient(service, address, { token });
    clients.push(made);
    return made;
  };

  const storageService = await host('block-storage', createBlockStorageServiceModule(), {
    NIMBUS_STORAGE_ROOT: storageRoot,
  });
  endpoints['block-storage'] = storageService.address;
  const network = await host('network', createNetworkServiceModule(), { NIMBUS_EDGE: 'false' });
  endpoints.network = network.address;
  const imageService = await host('image', createImageServiceModule({ pollMs: 50 }), {
    NIMBUS_IMAGE_WORK_DIR: workDir,
    NIMBUS_PROVIDED_IMAGES: 'false',
  });
  endpoints.image = imageService.address;
  peers.push(storageService, network, imageService);

  const fixed = {
    network: client(NetworkService, network.address, 'token-a'),
    storage: client(BlockStorageService, storageService.address, 'token-a'),
    images: client(ImageService, imageService.address, 'token-a'),
    store,
    bus,
    serviceToken,
  };
  // What a restart of compute replaces.
  const current = {} as Pick<ComputeStack, 'client' | 'otherAccount' | 'address'>;

  const startCompute = async () => {
    compute = await host('compute', createComputeServiceModule(), {
      // A restarted compute listens where it did, as in a region, so that workers dial it again.
      ...(lastAddress ? { NIMBUS_LISTEN: lastAddress } : {}),
      NIMBUS_SHUTDOWN_GRACE: '200ms',
      NIMBUS_WORKER_LEASE_TTL: '2s',
      NIMBUS_WORKER_LOST_GRACE: '3s',
      NIMBUS_STOP_TIMEOUT: '1s',
      ...options.env,
    });
    lastAddress = compute.address;
    current.address = compute.address;
    current.client = client(ComputeService, compute.address, 'token-a');
    current.otherAccount = client(ComputeService, compute.address, 'token-b');
  };
  const stopCompute = async () => {
    await compute?.stop();
    compute = undefined;
  };
  await startCompute();

  return {
    ...fixed,
    get client() {
      return current.client;
    },
    get otherAccount() {
      return current.otherAccount;
    },
    get address() {
      return current.address;
    },
    get endpoints() {
      return { ...endpoints, compute: current.address };
    },
    startCompute,
    stopCompute,
    async restartCompute() {
      await stopCompute();
      await startCompute();
    },
    async image(bootCommand = 'sleep infinity') {
      if (image && bootCommand === 'sleep infinity') return image;
      const { storage, images } = fixed;
      const { volume } = await storage.createVolume({ availabilityZone: 'nimbus-1a', size: 1 });
      const volumeId = volume?.volumeId ?? '';
      await waitUntil(
        async () =>
          (await storage.describeVolumes({ volumeIds: [volumeId] })).volumes[0]?.state === 'available',
        { timeoutMs: 10_000 },
      );
      const { snapshot } = await storage.createSnapshot({ volumeId });
      const snapshotId = snapshot?.snapshotId ?? '';
      await waitUntil(
        async () =>
          (await storage.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots[0]?.state ===
          'completed',
        { timeoutMs: 10_000 },
      );
      await storage.deleteVolume({ volumeId });
      const { imageId } = await images.registerImage({
        name: `test-${randomUUID().slice(0, 8)}`,
        bootCommand,
        blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { snapshotId, volumeSize: 1 } }],
      });
      await waitUntil(
        async () => (await images.describeImages({ imageIds: [imageId] })).images[0]?.state === 'available',
        { timeoutMs: 10_000 },
      );
      if (bootCommand === 'sleep infinity') image = imageId;
      return imageId;
    },
    async worker(workerOptions: Omit<TestWorkerOptions, 'address' | 'serviceToken'>) {
      const worker = startTestWorker({ ...workerOptions, address: current.address, serviceToken });
      workers.push(worker);
      await worker.registered();
      return worker;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.close()));
      for (const c of clients) c.close();
      await compute?.stop();
      for (const p of peers.reverse()) await p.stop();
      await bus.close();
      await store.close();
      await Promise.all([etcd.dispose(), nats.dispose()]);
      for (const dir of [storageRoot, workDir]) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The usual start of a test file: the stack is started before its tests and
 * stopped after them; the handle reads through to what runs.
 */
export function useComputeUnderTest(options: ComputeUnderTestOptions = {}): ComputeUnderTest {
  let stack: ComputeStack | undefined;
  beforeAll(async () => {
    stack = await startComputeStack(options);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);
  const running = (): ComputeStack => {
    if (!stack) throw new Error('compute runs only inside the tests of its file');
    return stack;
  };
  return {
    get client() {
      return running().client;
    },
    get otherAccount() {
      return running().otherAccount;
    },
    get network() {
      return running().network;
    },
    get storage() {
      return running().storage;
    },
    get images() {
      return running().images;
    },
    get store() {
      return running().store;
    },
    get bus() {
      return running().bus;
    },
    get address() {
      return running().address;
    },
    get serviceToken() {
      return running().serviceToken;
    },
    image: (bootCommand) => running().image(bootCommand),
    worker: (options) => running().worker(options),
    restartCompute: () => running().restartCompute(),
    stopCompute: () => running().stopCompute(),
    startCompute: () => running().startCompute(),
  };
}
