/**
 * The load-balancer service as a module the region hosts in-process or its
 * own main.ts runs as a process: LoadBalancingService over the shared store,
 * the data plane that carries the traffic (dataplane/data-plane.ts), and the
 * provisioner that gets each load balancer its addresses from the network
 * service. At start it resumes the load balancers a stopped process left
 * provisioning or deleting, and the data plane restores every listener.
 */
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { readConfig, type ServiceModule } from '@nimbus/runtime';
import type { ComputePort } from './api/compute-port.js';
import { computePortOf } from './api/compute-port.js';
import { createLoadBalancingApi } from './api/load-balancing-api.js';
import { createLookups } from './api/lookups.js';
import { networkPortOf } from './api/network-port.js';
import { createProvisioner } from './api/provisioner.js';
import { createDataPlane } from './dataplane/data-plane.js';
import type { TrafficView } from './dataplane/traffic-view.js';
import { lbConfigSpec } from './lb-config.js';
import { publishSamples } from './metrics/traffic-samples.js';
import { followInstanceDepartures } from './state/instance-departures.js';

export interface LoadBalancerModuleOptions {
  /** The clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Multiplies health-check intervals, timeouts and slow start; tests pass less than 1 to run in seconds. */
  timeScale?: number;
  /** How often security group rules are read again (default 2 s). */
  ingressRefreshMs?: number;
}

const noDataPlane: TrafficView = {
  health: () => ({
    state: 'initial',
    reason: 'Elb.RegistrationInProgress',
    description: 'Target registration is in progress',
  }),
  window: (_group, period) => ({
    startTime: Date.now() - period * 1000,
    endTime: Date.now(),
    group: {
      requestCount: 0,
      target2xx: 0,
      target3xx: 0,
      target4xx: 0,
      target5xx: 0,
      elb5xx: 0,
      targetResponseTimeSum: 0,
      responses: 0,
      newConnections: 0,
      healthy: 0,
      unhealthy: 0,
      active: 0,
      registered: 0,
    },
    targets: [],
  }),
};

export function createLoadBalancerServiceModule(options: LoadBalancerModuleOptions = {}): ServiceModule {
  const now = options.now ?? Date.now;
  return {
    name: 'load-balancer',
    async start(context) {
      const config = readConfig(lbConfigSpec, context.env);
      const network = networkPortOf(context.connect(NetworkService, 'network'));
      // Compute is asked only for instance targets: a region without it still serves ip targets.
      let computeClient: ComputePort | undefined;
      const compute: ComputePort = {
        describeInstances(accountId, ids) {
          computeClient ??= computePortOf(context.connect(ComputeService, 'compute'));
          return computeClient.describeInstances(accountId, ids);
        },
      };
      const lookups = createLookups(context.store);
      const provisioner = createProvisioner({
        store: context.store,
        lookups,
        network,
        logger: context.logger,
      });
      const dataPlane = config.dataPlane
        ? createDataPlane({
            store: context.store,
            bus: context.bus,
            logger: context.logger,
            now,
            ingress: (accountId, groupIds) => network.describeIngress(accountId, groupIds),
            ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
            ...(options.ingressRefreshMs === undefined ? {} : { ingressRefreshMs: options.ingressRefreshMs }),
          })
        : undefined;
      const deps = {
        store: context.store,
        bus: context.bus,
        logger: context.logger,
        region: config.region,
        network,
        compute,
        traffic: dataPlane ?? noDataPlane,
        provisioner,
        maxTargetsPerGroup: config.maxTargetsPerGroup,
        now,
      };
      return {
        services: [{ service: LoadBalancingService, impl: createLoadBalancingApi(deps, lookups) }],
        async run(signal) {
          await provisioner.sweep();
          await followInstanceDepartures({
            store: context.store,
            bus: context.bus,
            compute,
            logger: context.logger,
            now,
            signal,
            ...(dataPlane ? { onInstanceState: dataPlane.noteInstanceState } : {}),
          });
          if (!dataPlane) return;
          await Promise.all([
            dataPlane.start(signal),
            publishSamples({
              servers: config.busServers,
              periodMs: config.samplePeriodMs,
              source: dataPlane,
              logger: context.logger,
              signal,
            }),
          ]);
        },
        async close() {
          await provisioner.close();
          await dataPlane?.close();
        },
      };
    },
  };
}

export const serviceModule: ServiceModule = createLoadBalancerServiceModule();
