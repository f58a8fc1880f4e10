/**
 * Follows Elastic IP associations (`nimbus.network.address.associated` and
 * `.disassociated`): an event is only a trigger, so the follower re-reads the
 * interface from the network service and records on the instance the Elastic
 * IP its primary address has now. DescribeInstances shows it as the public
 * address, and the worker serves it as public-ipv4. One durable consumer for
 * all replicas: each event is handled once.
 */
import type { EventBus } from '@nimbus/events';
import { isRemoteError } from '@nimbus/runtime';
import type { Logger } from 'pino';
import type { Peers } from '../api/api-deps.js';
import type { InstanceStore } from '../state/instance-store.js';

export async function followAddresses(
  deps: { bus: EventBus; peers: Peers; instances: InstanceStore; logger: Logger },
  signal: AbortSignal,
): Promise<void> {
  const subscription = await deps.bus.subscribe({
    durable: 'compute-elastic-ips',
    subjects: ['nimbus.network.address.associated', 'nimbus.network.address.disassociated'],
    signal,
    async handler({ event }) {
      const { networkInterfaceId } = JSON.parse(event.detailJson) as { networkInterfaceId?: string };
      if (!networkInterfaceId) return;
      const accountId = event.accountId;
      const record = (await deps.instances.list(accountId)).find(
        (r) => r.value.networkInterfaceId === networkInterfaceId,
      );
      if (!record) return;
      let elasticIp = '';
      try {
        const { networkInterfaces } = await deps.peers.network.describeNetworkInterfaces(
          { networkInterfaceIds: [networkInterfaceId] },
          { accountId },
        );
        const association = networkInterfaces[0]?.association;
        elasticIp = association?.allocationId ? association.publicIp : '';
      } catch (error) {
        if (!(isRemoteError(error) && error.code.endsWith('.NotFound'))) throw error;
      }
      await deps.instances.update(record, (c) =>
        (c.elasticIp ?? '') === elasticIp || c.networkInterfaceId !== networkInterfaceId
          ? undefined
          : { ...c, elasticIp, generation: c.generation + 1 },
      );
    },
  });
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await subscription.close();
}
