/**
 * The block-storage service as a module the region hosts in-process or its
 * own main.ts runs as a process: BlockStorageService over the shared store
 * and bus, with the volumes' bytes under the storage root. At start it takes
 * the lifecycle steps a stopped process left undone and removes volume files
 * no record owns (see state/volume-lifecycle.ts).
 */
import { mkdir } from 'node:fs/promises';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createBlockStorageApi } from './api/block-storage-api.js';
import { createVolumeLifecycle } from './state/volume-lifecycle.js';
import { storageConfigSpec, storageRootOf } from './storage-config.js';
import { createVolumeFiles } from './volume-files/volume-files.js';

export function createBlockStorageServiceModule(): ServiceModule {
  return {
    name: 'block-storage',
    async start(context) {
      const config = readConfig(storageConfigSpec, context.env);
      const storageRoot = storageRootOf(config);
      await mkdir(storageRoot, { recursive: true });
      const files = createVolumeFiles(storageRoot);
      const lifecycle = createVolumeLifecycle(context.store, files);
      const deps = { store: context.store, bus: context.bus, config, storageRoot };
      return {
        services: [{ service: BlockStorageService, impl: createBlockStorageApi(deps, files, lifecycle) }],
        async run() {
          await lifecycle.sweep();
        },
        close: () => lifecycle.drain(),
      };
    },
  };
}

export const serviceModule: ServiceModule = createBlockStorageServiceModule();
