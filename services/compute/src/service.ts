/**
 * The compute service as a module the region hosts in-process or its own
 * main.ts runs as a process: ComputeService for users and WorkerService for
 * the worker agents, over the shared store and bus, calling network,
 * block-storage and image acting for each instance's account. Every replica
 * serves both; one at a time (an etcd election) runs the instance controller
 * and the worker monitor.
 */
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { WorkerService } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import type { ApiDeps } from './api/api-deps.js';
import { createComputeApi } from './api/compute-api.js';
import { computeConfigSpec } from './compute-config.js';
import { followAddresses } from './controller/address-follower.js';
import { createComputeControllers } from './controller/compute-controllers.js';
import { createInstanceCache } from './state/instance-cache.js';
import { createInstanceStore } from './state/instance-store.js';
import { createWorkerHub } from './workers/worker-hub.js';

export interface ComputeModuleOptions {
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
}

export function createComputeServiceModule(options: ComputeModuleOptions = {}): ServiceModule {
  const now = options.now ?? Date.now;
  return {
    name: 'compute',
    async start(context) {
      const config = readConfig(computeConfigSpec, context.env);
      const peers = {
        network: context.connect(NetworkService, 'network'),
        storage: context.connect(BlockStorageService, 'block-storage'),
        image: context.connect(ImageService, 'image'),
      };
      const cache = createInstanceCache(context.store, context.logger);
      const deps: ApiDeps = {
        store: context.store,
        bus: context.bus,
        logger: context.logger,
        config,
        peers,
        now,
        cache,
        tracing: context.tracing,
      };
      const endpoint = () => context.endpoints.gateway ?? context.endpoints.compute ?? '';
      const hub = createWorkerHub({ ...deps, network: peers.network, cache });
      const controllers = createComputeControllers({
        store: context.store,
        peers,
        config,
        sink: { bus: context.bus, logger: context.logger },
        logger: context.logger,
        now,
        tracing: context.tracing,
      });
      return {
        services: [
          { service: ComputeService, impl: createComputeApi(deps, endpoint) },
          { service: WorkerService, impl: hub.impl },
        ],
        async run(signal) {
          await Promise.all([
            cache.start(signal),
            hub.start(signal),
            controllers.start(signal),
            followAddresses(
              {
                bus: context.bus,
                peers,
                instances: createInstanceStore(context.store),
                logger: context.logger,
              },
              signal,
            ),
          ]);
        },
      };
    },
  };
}

export const serviceModule: ServiceModule = createComputeServiceModule();
