/**
 * The network service as a module the region hosts in-process or its own
 * main.ts runs as a process: NetworkService over the shared store.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceModule } from '@nimbus/runtime';
import { createNetworkApi } from './api/network-api.js';

export const serviceModule: ServiceModule = {
  name: 'network',
  async start(context) {
    return {
      services: [{ service: NetworkService, impl: createNetworkApi({ store: context.store }) }],
    };
  },
};
