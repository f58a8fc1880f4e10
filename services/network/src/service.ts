/**
 * The network service as a module the region hosts in-process or its own
 * main.ts runs as a process: NetworkService over the shared store and bus.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createNetworkApi } from './api/network-api.js';
import { networkConfigSpec } from './network-config.js';

export const serviceModule: ServiceModule = {
  name: 'network',
  async start(context) {
    const config = readConfig(networkConfigSpec, context.env);
    return {
      services: [
        {
          service: NetworkService,
          impl: createNetworkApi({ store: context.store, bus: context.bus, config }),
        },
      ],
    };
  },
};
