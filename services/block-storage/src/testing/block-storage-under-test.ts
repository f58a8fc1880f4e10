/**
 * The block-storage service as tests meet it: hosted on a real etcd and NATS
 * (one each per test file, a store namespace per service), with its storage
 * root in a temporary directory, reached over gRPC as two accounts.
 *
 *   const bs = useBlockStorageUnderTest();   // at the top of a test file
 *   await bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 1 });
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, type NatsServer, startEtcd, startNats } from '@nimbus/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createBlockStorageServiceModule } from '../service.js';

export const accountA = '111111111111';
export const accountB = '222222222222';
/** The region's service token in these tests: calls with it act for the account they name, as compute's do. */
export const serviceToken = 'service-token-of-the-block-storage-tests';

export interface BlockStorageUnderTest {
  /** Calls as account A. */
  client: Client<typeof BlockStorageService>;
  /** Calls as account B, to check that accounts do not see each other. */
  otherAccount: Client<typeof BlockStorageService>;
  /** Calls as another Nimbus service (the compute service), each naming the account it acts for. */
  asService: Client<typeof BlockStorageService>;
  store: Store;
  /** The bus the service publishes on. */
  bus: EventBus;
  storageRoot: string;
  /** host:port of the service's GET /metrics. */
  metricsAddress: string;
  /** Stops the service and starts it again on the same store and storage root, as a process restart does. */
  restart(): Promise<void>;
}

/**
 * The usual start of a test file: real etcd and NATS, the service on them,
 * started before the file's tests and stopped after them.
 */
export interface BlockStorageUnderTestOptions {
  /** The service's clock, epoch ms (default `Date.now`). */
  now?: () => number;
  /** What blank volumes hold (default ext4, as in production); `none` for tests that count a volume's bytes. */
  volumeFilesystem?: 'ext4' | 'none';
  /** Directories accounts may import disk images from (NIMBUS_IMPORT_ROOTS). */
  importRoots?: string[];
  /** The longest real wait before the lifecycle controller looks at a policy again, ms. */
  lifecyclePollMs?: number;
  /** More settings, read when the service starts (e.g. NIMBUS_CHUNK_STORE of a server a `beforeAll` started first). */
  env?: () => Record<string, string>;
}

export function useBlockStorageUnderTest(options: BlockStorageUnderTestOptions = {}): BlockStorageUnderTest {
  let etcd: EtcdServer | undefined;
  let nats: NatsServer | undefined;
  let store: Store | undefined;
  let bus: EventBus | undefined;
  let hosted: HostedService | undefined;
  let clients:
    | {
        client: Client<typeof BlockStorageService>;
        otherAccount: Client<typeof BlockStorageService>;
        asService: Client<typeof BlockStorageService>;
      }
    | undefined;
  let storageRoot = '';

  const host = async () => {
    if (!store || !bus) throw new Error('no store');
    hosted = await hostServiceModule(createBlockStorageServiceModule(options), {
      store,
      bus,
      logger: createLogger({ service: 'block-storage', level: 'silent' }),
      env: {
        NIMBUS_AUTH_TOKENS: `token-a=${accountA},token-b=${accountB}`,
        NIMBUS_STORAGE_ROOT: storageRoot,
        NIMBUS_ZONES: 'nimbus-1a,nimbus-1b',
        NIMBUS_VOLUME_FILESYSTEM: options.volumeFilesystem ?? 'ext4',
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_IMPORT_ROOTS: (options.importRoots ?? []).join(','),
        ...options.env?.(),
      },
    });
    clients = {
      client: createClient(BlockStorageService, hosted.address, { token: 'token-a' }),
      otherAccount: createClient(BlockStorageService, hosted.address, { token: 'token-b' }),
      asService: createClient(BlockStorageService, hosted.address, { token: serviceToken }),
    };
  };
  const unhost = async () => {
    clients?.client.close();
    clients?.otherAccount.close();
    clients?.asService.close();
    await hosted?.stop();
  };

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
    bus = await openNatsEventBus({ servers: nats.endpoint });
    storageRoot = await mkdtemp(join(tmpdir(), 'nimbus-storage-'));
    await host();
  });
  afterAll(async () => {
    await unhost();
    await bus?.close();
    await store?.close();
    await Promise.all([etcd?.dispose(), nats?.dispose()]);
    if (storageRoot) await rm(storageRoot, { recursive: true, force: true });
  });

  const running = () => {
    if (!clients || !store)
      throw new Error('the block-storage service runs only inside the tests of its file');
    return { ...clients, store };
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
    get store() {
      return running().store;
    },
    get bus() {
      if (!bus) throw new Error('the block-storage service runs only inside the tests of its file');
      return bus;
    },
    get storageRoot() {
      return storageRoot;
    },
    get metricsAddress() {
      if (!hosted?.metricsAddress) throw new Error('the block-storage service serves no metrics');
      return hosted.metricsAddress;
    },
    async restart() {
      await unhost();
      await host();
    },
  };
}
