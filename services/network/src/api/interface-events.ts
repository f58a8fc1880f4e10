/**
 * `nimbus.network.interface.created` / `.deleted`: triggers for compute and
 * the edge, which re-read the interface. Keyed by interface id and verb: each
 * happens once per interface.
 */
import type { EventBus } from '@nimbus/events';
import type { CallContext } from '@nimbus/runtime';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';

export type InterfaceVerb = 'created' | 'deleted';

/** A bus outage must not undo a committed change: the failure is logged, consumers resync. */
export async function publishInterfaceEvent(
  bus: EventBus,
  context: Pick<CallContext, 'requestId' | 'logger'>,
  verb: InterfaceVerb,
  eni: NetworkInterfaceRecord,
  revision: number,
): Promise<void> {
  try {
    await bus.publish({
      subject: `nimbus.network.interface.${verb}`,
      id: `${eni.networkInterfaceId}.${verb}`,
      accountId: eni.ownerId,
      resourceId: eni.networkInterfaceId,
      revision,
      detailJson: JSON.stringify({
        subnetId: eni.subnetId,
        vpcId: eni.vpcId,
        availabilityZone: eni.availabilityZone,
        privateIpAddresses: eni.privateIpAddresses,
        groupIds: eni.groupIds,
      }),
      requestId: context.requestId,
    });
  } catch (error) {
    context.logger.warn(
      { err: error, networkInterfaceId: eni.networkInterfaceId },
      `interface ${verb} event not published`,
    );
  }
}
