/**
 * The gateway as tests meet it: real etcd and NATS, the network and
 * block-storage services hosted on them, and the gateway in front, all on
 * loopback with free ports; two accounts with an access key each, made
 * through the admin API as an operator would.
 *
 *   const gw = useGatewayUnderTest();          // at the top of a test file
 *   await gw.ec2().send(new DescribeVpcsCommand({}));
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GatewayAdminService } from '@nimbus/api/gen/nimbus/gateway/v1/gateway_admin_service_pb';
import { createBlockStorageServiceModule } from '@nimbus/block-storage';
import { createComputeServiceModule } from '@nimbus/compute';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import { createImageServiceModule } from '@nimbus/image';
import { createLoadBalancerServiceModule } from '@nimbus/load-balancer';
import { createNetworkServiceModule } from '@nimbus/network';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { freePort, startEtcd, startNats } from '@nimbus/testkit';
import { createWorkerServiceModule } from '@nimbus/worker';
import { afterAll, beforeAll } from 'vitest';
import { createGatewayServiceModule } from '../service.js';

export const operatorAccount = '999999999999';
export const region = 'nimbus-1';

export interface AccessKeyPair {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface GatewayUnderTest {
  /** The Query API's URL, e.g. http://127.0.0.1:41234. */
  url: string;
  admin: Client<typeof GatewayAdminService>;
  /** Account A's key, and account B's. */
  keyA: AccessKeyPair;
  keyB: AccessKeyPair;
  /** An EC2 client for a key (default A), retries off so that each test sees the first answer. */
  ec2(key?: AccessKeyPair, overrides?: Partial<ConstructorParameters<typeof EC2Client>[0]>): EC2Client;
  /** An ELBv2 client for a key (default A), retries off. */
  elbv2(key?: AccessKeyPair): ElasticLoadBalancingV2Client;
  /** An Auto Scaling client for a key (default A), retries off. */
  autoScaling(key?: AccessKeyPair): AutoScalingClient;
  /** Stops one of the services behind the gateway (to see it answer ServiceUnavailable). */
  stopService(name: 'network' | 'block-storage' | 'compute'): Promise<void>;
}

export interface GatewayUnderTestOptions {
  /** NIMBUS_GATEWAY_THROTTLE. */
  throttle?: string;
  /** Also image, compute and one worker (fake runtime) in nimbus-1a, for the instance actions. */
  compute?: boolean;
  /** vCPUs the worker offers (default 8; 2 GiB of memory each). */
  workerVcpus?: number;
  /** Also the load-balancer service (needs `compute`), for the ELBv2 actions. */
  loadBalancer?: boolean;
}

export interface StartedGateway extends GatewayUnderTest {
  /** host:port of each hosted service's gRPC server. */
  addresses: Readonly<Record<string, string>>;
  /** The region's service token: a gRPC client holding it may act for any account. */
  serviceToken: string;
  stop(): Promise<void>;
}

/** Starts everything (servers, services, gateway, two keyed accounts); `stop` undoes it all. */
export async function startGatewayUnderTest(options: GatewayUnderTestOptions = {}): Promise<StartedGateway> {
  const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
  const stores: Store[] = [];
  const buses: EventBus[] = [];
  const hosted = new Map<string, HostedService>();
  const clients: { destroy(): void }[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'nimbus-gateway-'));
  let admin: Client<typeof GatewayAdminService> | undefined;

  const host = async (
    name: string,
    module: Parameters<typeof hostServiceModule>[0],
    env: Record<string, string>,
  ): Promise<HostedService> => {
    const store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
    const bus = await openNatsEventBus({ servers: nats.endpoint });
    stores.push(store);
    buses.push(bus);
    const service = await hostServiceModule(module, {
      store,
      bus,
      logger: createLogger({ service: name, level: 'silent' }),
      env,
    });
    hosted.set(name, service);
    return service;
  };

  const stop = async () => {
    for (const client of clients) client.destroy();
    admin?.close();
    for (const name of [
      'gateway',
      'load-balancer',
      'worker-nimbus-1a',
      'compute',
      'image',
      'block-storage',
      'network',
    ]) {
      await hosted.get(name)?.stop();
    }
    await Promise.all(buses.map((bus) => bus.close()));
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all([etcd.dispose(), nats.dispose()]);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const serviceToken = randomBytes(24).toString('base64url');
    const common = {
      NIMBUS_AUTH_TOKENS: `operator-token=${operatorAccount}`,
      NIMBUS_SERVICE_TOKEN: serviceToken,
      NIMBUS_ZONES: 'nimbus-1a,nimbus-1b',
      NIMBUS_METRICS_LISTEN: 'off',
    };
    const names = [
      'network',
      'block-storage',
      'gateway',
      ...(options.compute ? ['image', 'compute'] : []),
      ...(options.loadBalancer ? ['load-balancer'] : []),
    ];
    const addresses: Record<string, string> = {};
    for (const name of names) addresses[name] = `127.0.0.1:${await freePort()}`;
    const endpoints = JSON.stringify(addresses);
    const env = (name: string, extra: Record<string, string> = {}) => ({
      ...common,
      NIMBUS_LISTEN: addresses[name] ?? '127.0.0.1:0',
      NIMBUS_ENDPOINTS: endpoints,
      ...extra,
    });
    await host('network', createNetworkServiceModule(), env('network', { NIMBUS_EDGE: 'false' }));
    await host(
      'block-storage',
      createBlockStorageServiceModule(),
      env('block-storage', { NIMBUS_STORAGE_ROOT: join(dir, 'storage'), NIMBUS_VOLUME_FILESYSTEM: 'none' }),
    );
    if (options.compute) {
      await host(
        'image',
        createImageServiceModule({ pollMs: 50 }),
        env('image', { NIMBUS_IMAGE_WORK_DIR: join(dir, 'image-work'), NIMBUS_PROVIDED_IMAGES: 'false' }),
      );
      await host('compute', createComputeServiceModule(), env('compute', { NIMBUS_STOP_TIMEOUT: '1s' }));
      await host(
        'worker-nimbus-1a',
        createWorkerServiceModule(),
        env('worker-nimbus-1a', {
          NIMBUS_SERVICE_NAME: 'worker-nimbus-1a',
          NIMBUS_LISTEN: '127.0.0.1:0',
          NIMBUS_ZONE: 'nimbus-1a',
          NIMBUS_WORKER_RUNTIME: 'fake',
          NIMBUS_WORKER_FAKE_BOOT_DELAY: '200ms',
          NIMBUS_WORKER_VCPUS: String(options.workerVcpus ?? 8),
          NIMBUS_WORKER_MEMORY_MIB: String((options.workerVcpus ?? 8) * 2048),
          NIMBUS_WORKER_HOME: join(dir, 'worker'),
          NIMBUS_WORKER_SAMPLE_INTERVAL: '200ms',
        }),
      );
    }
    if (options.loadBalancer) {
      await host(
        'load-balancer',
        createLoadBalancerServiceModule(),
        env('load-balancer', { NIMBUS_LB_DATA_PLANE: 'false', NIMBUS_REGION: region }),
      );
    }
    let url = '';
    const gateway = await host(
      'gateway',
      createGatewayServiceModule({
        onListening: (listening) => {
          url = listening;
        },
      }),
      env('gateway', {
        NIMBUS_GATEWAY_MASTER_KEY_FILE: join(dir, 'gateway-master.key'),
        NIMBUS_REGION: region,
        ...(options.throttle ? { NIMBUS_GATEWAY_THROTTLE: options.throttle } : {}),
      }),
    );
    admin = createClient(GatewayAdminService, gateway.address, { token: 'operator-token' });
    const operator = admin;
    const keyOf = async (name: string): Promise<AccessKeyPair> => {
      const { account } = await operator.createAccount({
        accountName: name,
      });
      const { accessKey } = await operator.createAccessKey({
        accountId: account?.accountId ?? '',
      });
      return {
        accountId: account?.accountId ?? '',
        accessKeyId: accessKey?.accessKeyId ?? '',
        secretAccessKey: accessKey?.secretAccessKey ?? '',
      };
    };
    const keyA = await keyOf('alice');
    const clientConfig = ({ accessKeyId, secretAccessKey }: AccessKeyPair) => ({
      endpoint: url,
      region,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });
    const keyB = await keyOf('bob');
    return {
      url,
      admin: operator,
      keyA,
      keyB,
      addresses,
      serviceToken,
      ec2(key, overrides = {}) {
        const { accessKeyId, secretAccessKey } = key ?? keyA;
        const client = new EC2Client({
          endpoint: url,
          region,
          credentials: { accessKeyId, secretAccessKey },
          maxAttempts: 1,
          ...overrides,
        });
        clients.push(client);
        return client;
      },
      elbv2(key) {
        const client = new ElasticLoadBalancingV2Client(clientConfig(key ?? keyA));
        clients.push(client);
        return client;
      },
      autoScaling(key) {
        const client = new AutoScalingClient(clientConfig(key ?? keyA));
        clients.push(client);
        return client;
      },
      async stopService(name) {
        await hosted.get(name)?.stop();
        hosted.delete(name);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The usual start of a test file: everything started before its tests and stopped after them. */
export function useGatewayUnderTest(options: GatewayUnderTestOptions = {}): GatewayUnderTest {
  let started: StartedGateway | undefined;
  beforeAll(async () => {
    started = await startGatewayUnderTest(options);
  });
  afterAll(async () => {
    await started?.stop();
  });
  const current = () => {
    if (!started) throw new Error('the gateway runs only inside the tests of its file');
    return started;
  };
  return {
    get url() {
      return current().url;
    },
    get admin() {
      return current().admin;
    },
    get keyA() {
      return current().keyA;
    },
    get keyB() {
      return current().keyB;
    },
    ec2: (key, overrides) => current().ec2(key, overrides),
    elbv2: (key) => current().elbv2(key),
    autoScaling: (key) => current().autoScaling(key),
    stopService: (name) => current().stopService(name),
  };
}
