/**
 * The block-storage service as a module the region hosts in-process or its
 * own main.ts runs as a process: BlockStorageService over the shared store
 * and bus, with the volumes' bytes under the storage root. At start it takes
 * the lifecycle steps a stopped process left undone and removes volume files
 * no record owns (see state/volume-lifecycle.ts), and settles the snapshots it
 * left pending (see state/snapshot-lifecycle.ts). Snapshots live in a chunk
 * store under `<storage root>/chunks`, or on an S3-compatible object store
 * (NIMBUS_CHUNK_STORE=s3://bucket/prefix). New blank volumes hold ext4
 * (NIMBUS_VOLUME_FILESYSTEM); with ext4 the service refuses to start when
 * mke2fs is missing. In one replica at a time (an etcd election) it runs the
 * lifecycle-policy controller, which takes and prunes the policies' snapshots.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createBlockStorageApi } from './api/block-storage-api.js';
import { imageSnapshotUsers } from './api/image-snapshot-users.js';
import { createSnapshotActions } from './api/snapshot-api.js';
import { createChunkStore } from './chunk-store/index.js';
import {
  createS3BlockBackend,
  createS3Client,
  createS3ManifestStore,
} from './chunk-store/s3-chunk-backend.js';
import { createStoreRwLock } from './chunk-store/store-rw-lock.js';
import { createBlockStorageControllers } from './controller/lifecycle-controllers.js';
import { registerStorageMetrics } from './metrics/storage-metrics.js';
import { createSnapshotLifecycle } from './state/snapshot-lifecycle.js';
import { createVolumeEvents } from './state/volume-events.js';
import { createVolumeLifecycle } from './state/volume-lifecycle.js';
import { chunkStoreOf, storageConfigSpec, storageRootOf, volumeFilesystemOf } from './storage-config.js';
import { checkMkfs } from './volume-files/make-filesystem.js';
import { createVolumeFiles } from './volume-files/volume-files.js';

export interface BlockStorageModuleOptions {
  /** The clock, epoch ms. Default `Date.now`; tests pass their own to step over the 15-second snapshot rule. */
  now?: () => number;
  /** The longest real wait before the lifecycle controller looks at a policy again, ms (default 60 s); tests that move `now` use less. */
  lifecyclePollMs?: number;
}

export function createBlockStorageServiceModule(options: BlockStorageModuleOptions = {}): ServiceModule {
  const now = options.now ?? Date.now;
  return {
    name: 'block-storage',
    async start(context) {
      const config = readConfig(storageConfigSpec, context.env);
      const storageRoot = storageRootOf(config);
      await mkdir(storageRoot, { recursive: true });
      const filesystem = volumeFilesystemOf(config);
      if (filesystem === 'ext4') await checkMkfs();
      const files = createVolumeFiles(storageRoot, filesystem);
      const volumeEvents = createVolumeEvents(context.bus, context.logger);
      const lifecycle = createVolumeLifecycle(context.store, files, volumeEvents);
      const chunkStore = chunkStoreOf(config, storageRoot);
      const s3 = chunkStore.kind === 's3' ? createS3Client(chunkStore.connection) : undefined;
      const chunks =
        chunkStore.kind === 's3' && s3
          ? createChunkStore({
              blocks: createS3BlockBackend(s3, chunkStore.location),
              manifests: createS3ManifestStore(s3, chunkStore.location),
              // Every replica uses the bucket: freeing blocks waits for their snapshots in flight.
              sharedLock: createStoreRwLock(context.store, {
                name: `${chunkStore.location.bucket}/${chunkStore.location.prefix}`,
              }),
            })
          : createChunkStore({ root: join(storageRoot, 'chunks') });
      const snapshots = createSnapshotLifecycle({
        store: context.store,
        bus: context.bus,
        logger: context.logger,
        chunks,
        files,
        storageRoot,
        now,
        volumeEvents,
      });
      const deps = { store: context.store, bus: context.bus, config, storageRoot, now, volumeEvents };
      // Where the region runs an image service, a snapshot behind an image stays.
      const snapshotUsers = context.endpoints.image
        ? imageSnapshotUsers(context.connect(ImageService, 'image'))
        : undefined;
      const controllers = createBlockStorageControllers({
        store: context.store,
        logger: context.logger,
        snapshots: createSnapshotActions(deps, files, snapshots, snapshotUsers),
        now,
        ...(options.lifecyclePollMs === undefined ? {} : { pollMs: options.lifecyclePollMs }),
      });
      context.metrics.watchController(controllers.lifecycleController);
      registerStorageMetrics(context.metrics.registry, { store: context.store, files, now });
      return {
        services: [
          {
            service: BlockStorageService,
            impl: createBlockStorageApi(deps, files, lifecycle, snapshots, snapshotUsers),
          },
        ],
        async run(signal) {
          await lifecycle.sweep();
          await snapshots.sweep();
          await controllers.start(signal);
        },
        async close() {
          await Promise.all([lifecycle.drain(), snapshots.close()]);
          s3?.destroy();
        },
      };
    },
  };
}

export const serviceModule: ServiceModule = createBlockStorageServiceModule();
