/**
 * The network service as a module the region hosts in-process or its own
 * main.ts runs as a process: NetworkService over the shared store and bus,
 * and, unless `NIMBUS_EDGE=off`, the public edge fed from the store.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createNetworkApi } from './api/network-api.js';
import { createEdgeEngine, edgeEngineOf, resolveEdgeEngine } from './edge/edge-engine.js';
import { createEdgeFeeder } from './edge/edge-feeder.js';
import { haproxyUnusable } from './edge/haproxy-edge.js';
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
      // Checked before anything starts; HAProxy's presence only where this replica runs the edge.
      const engine = edgeEngineOf(config.edgeEngine, config.edge ? haproxyUnusable : () => undefined);
      const services = [
        {
          service: NetworkService,
          impl: createNetworkApi({ store: context.store, bus: context.bus, config, ...options }),
        },
      ];
      if (!config.edge) return { services };
      const logger = context.logger.child({ component: 'edge' });
      const why = engine === 'auto' ? haproxyUnusable() : undefined;
      const running = resolveEdgeEngine(engine, () => why);
      logger.info(
        { engine: running, setting: engine, ...(why ? { notHaproxy: why } : {}) },
        'edge: data plane',
      );
      const edge = createEdgeEngine(running, { logger });
      const feeder = createEdgeFeeder({ store: context.store, edge, logger });
      return {
        services,
        async run(signal) {
          await Promise.all([edge.start(signal), feeder.start(signal)]);
        },
        close: () => edge.close(),
      };
    },
  };
}

export const serviceModule: ServiceModule = createNetworkServiceModule();
