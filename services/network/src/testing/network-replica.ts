/**
 * One more replica of the network service on the store and bus of a service
 * under test: as a second process of a scaled-out region would be, or as the
 * same service after a restart, with nothing in memory but the store.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import { type Client, createClient, createLogger, hostServiceModule } from '@nimbus/runtime';
import { createNetworkServiceModule } from '../service.js';
import { accountA, accountB, type NetworkUnderTest } from './network-under-test.js';

export interface NetworkReplica {
  client: Client<typeof NetworkService>;
  otherAccount: Client<typeof NetworkService>;
  /** Stops this replica only; the store and bus stay with the service under test. */
  stop(): Promise<void>;
}

export async function startReplica(
  of: NetworkUnderTest,
  options: { env?: Record<string, string>; now?: () => number } = {},
): Promise<NetworkReplica> {
  const hosted = await hostServiceModule(
    createNetworkServiceModule(options.now ? { now: options.now } : {}),
    {
      store: of.store,
      bus: of.bus,
      logger: createLogger({ service: 'network', level: 'silent' }),
      env: { NIMBUS_AUTH_TOKENS: `token-a=${accountA},token-b=${accountB}`, ...options.env },
    },
  );
  const client = createClient(NetworkService, hosted.address, { token: 'token-a' });
  const otherAccount = createClient(NetworkService, hosted.address, { token: 'token-b' });
  return {
    client,
    otherAccount,
    async stop() {
      client.close();
      otherAccount.close();
      await hosted.stop();
    },
  };
}
