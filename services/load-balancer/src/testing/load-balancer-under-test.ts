/**
 * The load-balancer service as tests meet it: hosted on a real etcd and NATS
 * (one each per test file), with fake network and compute services beside it
 * (fake-neighbours.ts), reached over gRPC as two accounts. Each test file
 * names its own 127.<octet>.0.0/16 for the addresses it gets.
 *
 *   const lb = useLoadBalancerUnderTest({ octet: 121 });
 */
import { randomUUID } from 'node:crypto';
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import {
  type Client,
  createClient,
  createLogger,
  type HostedService,
  hostServiceModule,
} from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, type NatsServer, startEtcd, startNats } from '@nimbus/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createLoadBalancerServiceModule, type LoadBalancerModuleOptions } from '../service.js';
import { type FakeNeighbours, startFakeNeighbours } from './fake-neighbours.js';

export const accountA = '111111111111';
export const accountB = '222222222222';
const serviceToken = 'lb-test-service-token-0123456789';

export interface LoadBalancerUnderTest {
  client: Client<typeof LoadBalancingService>;
  otherAccount: Client<typeof LoadBalancingService>;
  store: Store;
  bus: EventBus;
  /** The NATS URL of the file's server. */
  natsEndpoint: string;
  neighbours: FakeNeighbours;
  restart(): Promise<void>;
}

export function useLoadBalancerUnderTest(
  options: LoadBalancerModuleOptions & {
    octet: number;
    /** Publish traffic samples on the test's NATS every this many ms (default: none). */
    samplePeriodMs?: number;
  },
): LoadBalancerUnderTest {
  let etcd: EtcdServer | undefined;
  let nats: NatsServer | undefined;
  let store: Store | undefined;
  let bus: EventBus | undefined;
  let neighbours: FakeNeighbours | undefined;
  let hosted: HostedService | undefined;
  let clients:
    | { client: Client<typeof LoadBalancingService>; otherAccount: Client<typeof LoadBalancingService> }
    | undefined;

  const host = async () => {
    if (!store || !bus || !neighbours) throw new Error('no store');
    hosted = await hostServiceModule(createLoadBalancerServiceModule(options), {
      store,
      bus,
      logger: createLogger({ service: 'load-balancer', level: 'silent' }),
      env: {
        NIMBUS_AUTH_TOKENS: `token-a=${accountA},token-b=${accountB}`,
        NIMBUS_SERVICE_TOKEN: serviceToken,
        NIMBUS_ENDPOINTS: JSON.stringify(neighbours.endpoints),
        NIMBUS_METRICS_LISTEN: 'off',
        ...(options.samplePeriodMs && nats
          ? { NIMBUS_BUS_SERVERS: nats.endpoint, NIMBUS_LB_SAMPLE_PERIOD: `${options.samplePeriodMs}ms` }
          : {}),
      },
    });
    clients = {
      client: createClient(LoadBalancingService, hosted.address, { token: 'token-a' }),
      otherAccount: createClient(LoadBalancingService, hosted.address, { token: 'token-b' }),
    };
  };
  const unhost = async () => {
    clients?.client.close();
    clients?.otherAccount.close();
    await hosted?.stop();
  };

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
    bus = await openNatsEventBus({ servers: nats.endpoint });
    neighbours = await startFakeNeighbours(options.octet, serviceToken);
    await host();
  });
  afterAll(async () => {
    await unhost();
    await neighbours?.stop();
    await bus?.close();
    await store?.close();
    await Promise.all([etcd?.dispose(), nats?.dispose()]);
  });

  const need = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('the load-balancer service runs only inside the tests of its file');
    return value;
  };
  return {
    get client() {
      return need(clients).client;
    },
    get otherAccount() {
      return need(clients).otherAccount;
    },
    get store() {
      return need(store);
    },
    get bus() {
      return need(bus);
    },
    get natsEndpoint() {
      return need(nats).endpoint;
    },
    get neighbours() {
      return need(neighbours);
    },
    async restart() {
      await unhost();
      await host();
    },
  };
}
