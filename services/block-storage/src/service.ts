/**
 * The block-storage service as a module the region hosts in-process or its
 * own main.ts runs as a process: BlockStorageService over the shared store
 * and bus, with the volumes' bytes under the storage root.
 */
import { mkdir } from 'node:fs/promises';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createBlockStorageApi } from './api/block-storage-api.js';
import { storageConfigSpec, storageRootOf } from './storage-config.js';

export function createBlockStorageServiceModule(): ServiceModule {
  return {
    name: 'block-storage',
    async start(context) {
      const config = readConfig(storageConfigSpec, context.env);
      const storageRoot = storageRootOf(config);
      await mkdir(storageRoot, { recursive: true });
      return {
        services: [
          {
            service: BlockStorageService,
            impl: createBlockStorageApi({ store: context.store, bus: context.bus, config, storageRoot }),
          },
        ],
      };
    },
  };
}

export const serviceModule: ServiceModule = createBlockStorageServiceModule();
