/**
 * The network service as a module the region hosts in-process or its own
 * main.ts runs as a process: NetworkService over the shared store and bus.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createNetworkApi } from './api/network-api.js';
import { networkConfigSpec } from './network-config.js';

export interface NetworkModuleOptions {
  /** The time in epoch ms, for what is billed by the hour; tests inject one. Default `Date.now`. */
  now?: () => number;
}

export function createNetworkServiceModule(options: NetworkModuleOptions = {}): ServiceModule {
  return {
    name: 'network',
    async start(context) {
      const config = readConfig(networkConfigSpec, context.env);
      return {
        services: [
          {
            service: NetworkService,
            impl: createNetworkApi({ store: context.store, bus: context.bus, config, ...options }),
          },
        ],
      };
    },
  };
}

export const serviceModule: ServiceModule = createNetworkServiceModule();
