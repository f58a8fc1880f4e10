/**
 * The autoscaler as its tests meet it: hosted on compute's test stack (real
 * etcd and NATS, the real network, block-storage, image and compute services,
 * test workers in nimbus-1a and nimbus-1b), reached over gRPC as account A.
 * It can be stopped and started again on the same store, as a process
 * restart does, with options (a compute wrapper) of the test's choosing.
 *
 *   const asg = useAutoscalerUnderTest();
 *   const lt = await asg.launchTemplate();
 *   await asg.client.createAutoScalingGroup({ ... });
 */
import { randomUUID } from 'node:crypto';
import { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { Instance } from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { type ComputeStack, startComputeStack } from '@nimbus/compute/testing';
import { createLoadBalancerServiceModule } from '@nimbus/load-balancer';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import type { LevelWithSilent } from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { groupNameTag } from '../domain/launch-request.js';
import { type AutoscalerModuleOptions, createAutoscalerServiceModule } from '../service.js';

export type TestWorker = Awaited<ReturnType<ComputeStack['worker']>>;

export interface AutoscalerStackOptions {
  /**
   * Also host the real load-balancer service (health checks 20 times faster
   * than configured), which the autoscaler then calls.
   */
  loadBalancer?: boolean;
}

export interface AutoscalerUnderTest {
  client: Client<typeof AutoScalingService>;
  /** The load-balancer service as account A, when the stack hosts it. */
  loadBalancing: Client<typeof LoadBalancingService>;
  compute: ComputeStack;
  /** The test workers by name (worker-a in nimbus-1a, worker-b in nimbus-1b). */
  workers: ReadonlyMap<string, TestWorker>;
  /** A launch template of account A on the test image; returns its id. */
  launchTemplate(): Promise<string>;
  /** Instances of a group as compute has them (by the group's tag), terminated ones left out. */
  groupInstances(groupName: string): Promise<Instance[]>;
  stopAutoscaler(): Promise<void>;
  /** Starts the autoscaler again, with module options and settings (environment) of the test's choosing. */
  startAutoscaler(options?: AutoscalerModuleOptions, env?: Record<string, string>): Promise<void>;
  /** Another replica on the same store and bus (it serves the API and stands in the election); stopped with the stack. */
  replica(): Promise<HostedService>;
}

export async function startAutoscalerStack(
  stackOptions: AutoscalerStackOptions = {},
): Promise<AutoscalerUnderTest & { stop(): Promise<void> }> {
  const compute = await startComputeStack();
  let loadBalancer: HostedService | undefined;
  let loadBalancing: Client<typeof LoadBalancingService> | undefined;
  let hosted: HostedService | undefined;
  let client: Client<typeof AutoScalingService> | undefined;
  let template: string | undefined;
  const workers = new Map<string, TestWorker>();
  try {
    workers.set('worker-a', await compute.worker({ workerName: 'worker-a', zone: 'nimbus-1a' }));
    workers.set('worker-b', await compute.worker({ workerName: 'worker-b', zone: 'nimbus-1b' }));
    if (stackOptions.loadBalancer) {
      loadBalancer = await hostServiceModule(createLoadBalancerServiceModule({ timeScale: 0.05 }), {
        store: compute.store,
        bus: compute.bus,
        logger: createLogger({ service: 'load-balancer', level: 'silent' }),
        env: {
          NIMBUS_AUTH_TOKENS: 'token-a=111111111111,token-b=222222222222',
          NIMBUS_SERVICE_TOKEN: compute.serviceToken,
          NIMBUS_ENDPOINTS: JSON.stringify({ network: compute.endpoints.network, compute: compute.address }),
          NIMBUS_SHUTDOWN_GRACE: '200ms',
          NIMBUS_METRICS_LISTEN: 'off',
        },
      });
      loadBalancing = createClient(LoadBalancingService, loadBalancer.address, { token: 'token-a' });
    }
  } catch (error) {
    await loadBalancer?.stop();
    await compute.stop();
    throw error;
  }
  const replicas: HostedService[] = [];
  const host = (options: AutoscalerModuleOptions, env: Record<string, string>) =>
    hostServiceModule(createAutoscalerServiceModule(options), {
      store: compute.store,
      bus: compute.bus,
      logger: createLogger({
        service: 'autoscaler',
        level: (process.env.NIMBUS_TEST_LOG as LevelWithSilent | undefined) ?? 'silent',
      }),
      env: {
        NIMBUS_AUTH_TOKENS: 'token-a=111111111111,token-b=222222222222',
        NIMBUS_SERVICE_TOKEN: compute.serviceToken,
        NIMBUS_ENDPOINTS: JSON.stringify({
          compute: compute.address,
          network: compute.endpoints.network,
          ...(loadBalancer ? { 'load-balancer': loadBalancer.address } : {}),
        }),
        NIMBUS_SHUTDOWN_GRACE: '200ms',
        NIMBUS_AUTOSCALER_ACTIVE_POLL: '200ms',
        NIMBUS_AUTOSCALER_HEALTH_POLL: '500ms',
        NIMBUS_AUTOSCALER_LAUNCH_RETRY: '1s',
        NIMBUS_METRICS_LISTEN: 'off',
        ...env,
      },
    });
  const startAutoscaler = async (options: AutoscalerModuleOptions = {}, env: Record<string, string> = {}) => {
    hosted = await host(options, env);
    client?.close();
    client = createClient(AutoScalingService, hosted.address, { token: 'token-a' });
  };
  const stopAutoscaler = async () => {
    await hosted?.stop();
    hosted = undefined;
  };
  await startAutoscaler();
  const current = () => {
    if (!client) throw new Error('the autoscaler is not running');
    return client;
  };
  return {
    get client() {
      return current();
    },
    get loadBalancing() {
      if (!loadBalancing) throw new Error('this stack runs no load balancer');
      return loadBalancing;
    },
    compute,
    workers,
    async launchTemplate(): Promise<string> {
      if (template) return template;
      const imageId = await compute.image();
      const { launchTemplate } = await current().createLaunchTemplate({
        launchTemplateName: `web-${randomUUID().slice(0, 8)}`,
        launchTemplateData: { imageId, instanceType: 't3.micro' },
      });
      template = launchTemplate?.launchTemplateId ?? '';
      return template;
    },
    async groupInstances(groupName) {
      const { reservations } = await compute.client.describeInstances({
        filters: [{ name: `tag:${groupNameTag}`, values: [groupName] }],
      });
      return reservations
        .flatMap((r) => r.instances)
        .filter((i) => i.state?.name !== 'terminated' && i.state?.name !== 'shutting-down');
    },
    stopAutoscaler,
    startAutoscaler,
    async replica() {
      const replica = await host({}, {});
      replicas.push(replica);
      return replica;
    },
    async stop() {
      client?.close();
      loadBalancing?.close();
      await stopAutoscaler();
      for (const replica of replicas) await replica.stop();
      await loadBalancer?.stop();
      await compute.stop();
    },
  };
}

/** The usual start of a test file: the stack runs for the file's tests. */
export function useAutoscalerUnderTest(options: AutoscalerStackOptions = {}): AutoscalerUnderTest {
  let stack: Awaited<ReturnType<typeof startAutoscalerStack>> | undefined;
  beforeAll(async () => {
    stack = await startAutoscalerStack(options);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);
  const running = () => {
    if (!stack) throw new Error('the autoscaler runs only inside the tests of its file');
    return stack;
  };
  return {
    get client() {
      return running().client;
    },
    get compute() {
      return running().compute;
    },
    get loadBalancing() {
      return running().loadBalancing;
    },
    get workers() {
      return running().workers;
    },
    launchTemplate: () => running().launchTemplate(),
    groupInstances: (name) => running().groupInstances(name),
    stopAutoscaler: () => running().stopAutoscaler(),
    startAutoscaler: (options, env) => running().startAutoscaler(options, env),
    replica: () => running().replica(),
  };
}
