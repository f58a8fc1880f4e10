/**
 * The network service as tests meet it: hosted on a real etcd (one per test
 * file, a namespace per service) and NATS, reached over gRPC as two accounts.
 *
 *   const net = useNetworkUnderTest();   // at the top of a test file
 *   await net.client.createKeyPair({ keyName: 'k' });   // in its tests
 */
import { randomUUID } from 'node:crypto';
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { type EventBus, openNatsEventBus } from '@nimbus/events';
import { type Client, createClient, createLogger, hostServiceModule } from '@nimbus/runtime';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, type NatsServer, startEtcd, startNats } from '@nimbus/testkit';
import { afterAll, beforeAll } from 'vitest';
import { createNetworkServiceModule } from '../service.js';

export const accountA = '111111111111';
export const accountB = '222222222222';

export interface NetworkUnderTest {
  /** Calls as account A. */
  client: Client<typeof NetworkService>;
  /** Calls as account B, to check that accounts do not see each other. */
  otherAccount: Client<typeof NetworkService>;
  address: string;
  store: Store;
  bus: EventBus;
  /** Stops the service and closes its connections (not the servers). */
  stop(): Promise<void>;
}

export async function startNetworkUnderTest(servers: {
  etcd: EtcdServer;
  nats: NatsServer;
  env?: Record<string, string>;
  /** The service's clock (epoch ms), to test what is billed by the hour without waiting. */
  now?: () => number;
}): Promise<NetworkUnderTest> {
  const store = await openEtcdStore({ endpoints: [servers.etcd.endpoint], namespace: `/t-${randomUUID()}` });
  const bus = await openNatsEventBus({ servers: servers.nats.endpoint });
  const networkModule = createNetworkServiceModule(servers.now ? { now: servers.now } : {});
  const hosted = await hostServiceModule(networkModule, {
    store,
    bus,
    logger: createLogger({ service: 'network', level: 'silent' }),
    env: { NIMBUS_AUTH_TOKENS: `token-a=${accountA},token-b=${accountB}`, ...servers.env },
  });
  const client = createClient(NetworkService, hosted.address, { token: 'token-a' });
  const otherAccount = createClient(NetworkService, hosted.address, { token: 'token-b' });
  return {
    client,
    otherAccount,
    address: hosted.address,
    store,
    bus,
    async stop() {
      client.close();
      otherAccount.close();
      await hosted.stop();
      await bus.close();
      await store.close();
    },
  };
}

/**
 * The usual start of a test file: real etcd and NATS for the file and the
 * service on them, started before its tests and stopped after them. The
 * handle reads through to what runs, so tests write `net.client...`.
 */
export function useNetworkUnderTest(env?: Record<string, string>): NetworkUnderTest & {
  readonly etcd: EtcdServer;
  readonly nats: NatsServer;
} {
  let servers: { etcd: EtcdServer; nats: NatsServer } | undefined;
  let started: NetworkUnderTest | undefined;
  beforeAll(async () => {
    const [etcd, nats] = await Promise.all([startEtcd(), startNats()]);
    servers = { etcd, nats };
    started = await startNetworkUnderTest({ etcd, nats, ...(env ? { env } : {}) });
  });
  afterAll(async () => {
    await started?.stop();
    await Promise.all([servers?.etcd.dispose(), servers?.nats.dispose()]);
  });
  const running = () => {
    if (!started || !servers) throw new Error('the network service runs only inside the tests of its file');
    return { ...servers, ...started };
  };
  return {
    get client() {
      return running().client;
    },
    get otherAccount() {
      return running().otherAccount;
    },
    get address() {
      return running().address;
    },
    get store() {
      return running().store;
    },
    get bus() {
      return running().bus;
    },
    get etcd() {
      return running().etcd;
    },
    get nats() {
      return running().nats;
    },
    stop: () => running().stop(),
  };
}
