/**
 * The autoscaler as a module the region hosts in-process or its own main.ts
 * runs as a process: AutoScalingService over the shared store, and the
 * leader-elected group controller, which launches and terminates through
 * compute for each group's account and registers instances with the
 * load-balancer service's target groups when the region runs it. It needs
 * compute (NIMBUS_ENDPOINTS and NIMBUS_SERVICE_TOKEN) and refuses to start
 * without it; network and load-balancer are optional.
 */
import { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import { createAutoScalingApi } from './api/autoscaling-api.js';
import { networkPortOf } from './api/network-port.js';
import { autoscalerConfigSpec } from './autoscaler-config.js';
import { createAutoscalerControllers } from './controller/autoscaler-controllers.js';
import { type ComputePort, computePortOf } from './controller/compute-port.js';
import { loadBalancerPortOf } from './controller/load-balancer-port.js';

export interface AutoscalerModuleOptions {
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Stands between the controller and compute: tests use it to stop a controller in the middle of a launch. */
  wrapCompute?: (compute: ComputePort) => ComputePort;
}

export function createAutoscalerServiceModule(options: AutoscalerModuleOptions = {}): ServiceModule {
  const now = options.now ?? Date.now;
  return {
    name: 'autoscaler',
    async start(context) {
      const settings = readConfig(autoscalerConfigSpec, context.env);
      const direct = computePortOf(context.connect(ComputeService, 'compute'));
      const compute = options.wrapCompute ? options.wrapCompute(direct) : direct;
      const loadBalancers = context.endpoints['load-balancer']
        ? loadBalancerPortOf(context.connect(LoadBalancingService, 'load-balancer'))
        : undefined;
      const network = context.endpoints.network
        ? networkPortOf(context.connect(NetworkService, 'network'))
        : undefined;
      if (!loadBalancers)
        context.logger.info('no load-balancer service in this region: groups take no target groups');
      const controllers = createAutoscalerControllers({
        store: context.store,
        bus: context.bus,
        compute,
        ...(loadBalancers ? { loadBalancers } : {}),
        settings,
        now,
        logger: context.logger,
      });
      context.metrics.watchController(controllers.groupController);
      return {
        services: [
          {
            service: AutoScalingService,
            impl: createAutoScalingApi({
              store: context.store,
              settings,
              now,
              compute,
              ...(loadBalancers ? { loadBalancers } : {}),
              ...(network ? { network } : {}),
              nudge: controllers.nudge,
            }),
          },
        ],
        run: (signal) => controllers.start(signal),
      };
    },
  };
}

export const serviceModule: ServiceModule = createAutoscalerServiceModule();
