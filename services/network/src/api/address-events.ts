/**
 * `nimbus.network.address.associated` / `.disassociated`: triggers for the
 * edge and compute, which re-read the address. Keyed by association id, as an
 * address is associated many times and the event id is the deduplication key.
 */
import type { EventBus } from '@nimbus/events';
import type { CallContext } from '@nimbus/runtime';
import type { AddressAssociation, AddressRecord } from '../state/address-ledger.js';

export type AssociationVerb = 'associated' | 'disassociated';

/** A bus outage must not undo a committed change: the failure is logged, consumers resync. */
export async function publishAssociationEvent(
  bus: EventBus,
  context: Pick<CallContext, 'requestId' | 'logger'>,
  verb: AssociationVerb,
  address: AddressRecord,
  association: AddressAssociation,
  revision: number,
): Promise<void> {
  try {
    await bus.publish({
      subject: `nimbus.network.address.${verb}`,
      id: `${association.associationId}.${verb}`,
      accountId: address.ownerId,
      resourceId: address.allocationId,
      revision,
      detailJson: JSON.stringify({
        publicIp: address.publicIp,
        associationId: association.associationId,
        networkInterfaceId: association.networkInterfaceId,
        privateIpAddress: association.privateIpAddress,
        instanceId: association.instanceId,
      }),
      requestId: context.requestId,
    });
  } catch (error) {
    context.logger.warn(
      { err: error, allocationId: address.allocationId },
      `address ${verb} event not published`,
    );
  }
}
