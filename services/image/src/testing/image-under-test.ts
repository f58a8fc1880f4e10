/**
 * The image service as tests meet it: hosted beside a real block-storage
 * service on a real etcd and NATS (one each per test file, one store
 * namespace), both holding one service token, reached over gRPC as two
 * accounts and as a service acting for an account (as compute calls).
 *
 *   const img = useImageUnderTest();   // at the top of a test file
 *   const snapshotId = await img.completedSnapshot();
 *   await img.client.registerImage({ name: 'web', blockDeviceMappings: [...] });
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { createBlockStorageServiceModule } from '@nimbus/block-storage';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, freePort, type NatsServer, startEtcd, startNats, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createImageServiceModule, type ImageModuleOptions } from '../service.js';

export const accountA = '111111111111';
export const accountB = '222222222222';
const serviceToken = `image-tests-${randomUUID()}`;

export interface ImageUnderTest {
  /** Image calls as account A. */
  client: Client<typeof ImageService>;
  /** Image calls as account B. */
  otherAccount: Client<typeof ImageService>;
  /** Image calls with the service token: each names the account it acts for, as compute's do. */
  asService: Client<typeof ImageService>;
  /** Block-storage calls as account A. */
  storage: Client<typeof BlockStorageService>;
  /** Block-storage calls with the service token (any account). */
  storageAsService: Client<typeof BlockStorageService>;
  store: Store;
  bus: EventBus;
  /** The image service's work directory (disk images of provided images). */
  workDir: string;
  /** A completed snapshot of a new volume of `size` GiB of account A. */
  completedSnapshot(size?: number): Promise<string>;
  /** Stops the image service and starts it again on the same store, as a process restart does. */
  restart(): Promise<void>;
}

export interface ImageUnderTestOptions extends ImageModuleOptions {
  /** Make the provided images at start (default false: most tests do not need them). */
  providedImages?: boolean;
  /** Extra environment of the image service. */
  env?: Record<string, string>;
}

export function useImageUnderTest(options: ImageUnderTestOptions = {}): ImageUnderTest {
  let etcd: EtcdServer | undefined;
  let nats: NatsServer | undefined;
  let store: Store | undefined;
  let bus: EventBus | undefined;
  let storageHosted: HostedService | undefined;
  let imageHosted: HostedService | undefined;
  let clients:
    | Pick<ImageUnderTest, 'client' | 'otherAccount' | 'asService' | 'storage' | 'storageAsService'>
    | undefined;
  let storageRoot = '';
  /** Planned before either starts, as the region plans addresses: each service knows the other's. */
  let imageAddress = '';
  let workDir = '';
  // The snapshot rule of block storage: 15 s between snapshots of one volume; each test snapshot has its own volume.
  const tokens = `token-a=${accountA},token-b=${accountB}`;

  const hostImage = async () => {
    if (!store || !bus || !storageHosted) throw new Error('no store');
    imageHosted = await hostServiceModule(createImageServiceModule({ pollMs: 50, ...options }), {
      store,
      bus,
      logger: createLogger({ service: 'image', level: 'silent' }),
      env: {
        NIMBUS_AUTH_TOKENS: tokens,
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_ENDPOINTS: JSON.stringify({ 'block-storage': storageHosted.address }),
        // Where block storage expects it, to ask which images use a snapshot.
        NIMBUS_LISTEN: imageAddress,
        NIMBUS_IMAGE_WORK_DIR: workDir,
        NIMBUS_PROVIDED_IMAGES: String(options.providedImages ?? false),
        ...options.env,
      },
    });
    clients = {
      client: createClient(ImageService, imageHosted.address, { token: 'token-a' }),
      otherAccount: createClient(ImageService, imageHosted.address, { token: 'token-b' }),
      asService: createClient(ImageService, imageHosted.address, { token: serviceToken }),
      storage: createClient(BlockStorageService, storageHosted.address, { token: 'token-a' }),
      storageAsService: createClient(BlockStorageService, storageHosted.address, { token: serviceToken }),
    };
  };
  const unhostImage = async () => {
    if (clients) for (const client of Object.values(clients)) client.close();
    clients = undefined;
    await imageHosted?.stop();
    imageHosted = undefined;
  };

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
    bus = await openNatsEventBus({ servers: nats.endpoint });
    storageRoot = await mkdtemp(join(tmpdir(), 'nimbus-image-storage-'));
    imageAddress = `127.0.0.1:${await freePort()}`;
    workDir = await mkdtemp(join(tmpdir(), 'nimbus-image-work-'));
    storageHosted = await hostServiceModule(createBlockStorageServiceModule(), {
      store,
      bus,
      logger: createLogger({ service: 'block-storage', level: 'silent' }),
      env: {
        NIMBUS_AUTH_TOKENS: tokens,
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_STORAGE_ROOT: storageRoot,
        NIMBUS_ZONES: 'nimbus-1a,nimbus-1b',
        NIMBUS_ENDPOINTS: JSON.stringify({ image: imageAddress }),
      },
    });
    await hostImage();
  });
  afterAll(async () => {
    await unhostImage();
    await storageHosted?.stop();
    await bus?.close();
    await store?.close();
    await Promise.all([etcd?.dispose(), nats?.dispose()]);
    for (const dir of [storageRoot, workDir]) if (dir) await rm(dir, { recursive: true, force: true });
  });

  const running = () => {
    if (!clients || !store || !bus)
      throw new Error('the image service runs only inside the tests of its file');
    return { ...clients, store, bus };
  };
  return {
    get client() {
      return running().client;
    },
    get otherAccount() {
      return running().otherAccount;
    },
    get asService() {
      return running().asService;
    },
    get storage() {
      return running().storage;
    },
    get storageAsService() {
      return running().storageAsService;
    },
    get store() {
      return running().store;
    },
    get bus() {
      return running().bus;
    },
    get workDir() {
      return workDir;
    },
    async completedSnapshot(size = 1) {
      const { storage } = running();
      const { volume } = await storage.createVolume({ availabilityZone: 'nimbus-1a', size });
      const volumeId = volume?.volumeId ?? '';
      await waitUntil(
        async () =>
          (await storage.describeVolumes({ volumeIds: [volumeId] })).volumes[0]?.state === 'available',
        { timeoutMs: 30_000 },
      );
      const { snapshot } = await storage.createSnapshot({ volumeId });
      const snapshotId = snapshot?.snapshotId ?? '';
      await waitUntil(
        async () =>
          (await storage.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots[0]?.state ===
          'completed',
        { timeoutMs: 30_000 },
      );
      return snapshotId;
    },
    async restart() {
      await unhostImage();
      await hostImage();
    },
  };
}
