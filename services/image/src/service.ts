/**
 * The image service as a module the region hosts in-process or its own
 * main.ts runs as a process: ImageService over the shared store and bus,
 * calling block storage (acting for each caller) for the snapshots behind
 * images. In one replica at a time (an etcd election) it runs the image
 * controller (copies, snapshot clean-up, tombstones) and makes the images
 * provided with the region when they are missing.
 */
import { hostname } from 'node:os';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { runAsLeader } from '@nimbus/controller';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createImageServiceApi } from './api/image-service-api.js';
import { createImageController } from './controllers/image-controller.js';
import { imageConfigSpec, workDirOf } from './image-config.js';
import { checkMke2fs } from './provided-images/disk-image.js';
import type { ProvidedImage } from './provided-images/provided-image-catalog.js';
import { createProvidedImages } from './provided-images/provided-images.js';

export interface ImageModuleOptions {
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** How often the controller looks again at a copy in progress, ms (default 500). */
  pollMs?: number;
  /** The provided images (default: provided-image-catalog.ts); tests give their own. */
  providedCatalog?: readonly ProvidedImage[];
  /** Where a provided image's content is (default: services/image/provided/<family>/<version>). */
  providedContentDir?: (image: ProvidedImage) => string;
  /** Called each time the provided images have all been made or found (tests wait for it). */
  onProvidedImagesReady?: () => void;
}

export function createImageServiceModule(options: ImageModuleOptions = {}): ServiceModule {
  const now = options.now ?? Date.now;
  return {
    name: 'image',
    async start(context) {
      const config = readConfig(imageConfigSpec, context.env);
      if (config.providedImages) await checkMke2fs();
      const storage = context.connect(BlockStorageService, 'block-storage');
      const deps = { store: context.store, bus: context.bus, config, storage, now };
      const controller = createImageController({
        store: context.store,
        bus: context.bus,
        storage,
        logger: context.logger,
        now,
        deregisteredRetentionMs: config.deregisteredRetentionMs,
        ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      });
      const provided = createProvidedImages({
        store: context.store,
        bus: context.bus,
        storage,
        logger: context.logger,
        workDir: workDirOf(config),
        now,
        ...(options.providedCatalog ? { catalog: options.providedCatalog } : {}),
        ...(options.providedContentDir ? { contentDir: options.providedContentDir } : {}),
      });
      return {
        services: [{ service: ImageService, impl: createImageServiceApi(deps) }],
        async run(signal) {
          await runAsLeader(
            {
              store: context.store,
              election: 'image-controllers',
              candidate: `${hostname()}-${process.pid}-${context.name}`,
              logger: context.logger,
              run: async (leading) => {
                await Promise.all([
                  controller.start(leading),
                  config.providedImages
                    ? provided.ensure(leading).then(() => {
                        if (!leading.aborted) options.onProvidedImagesReady?.();
                      })
                    : Promise.resolve(),
                ]);
              },
            },
            signal,
          );
        },
      };
    },
  };
}

export const serviceModule: ServiceModule = createImageServiceModule();
