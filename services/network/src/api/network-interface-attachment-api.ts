/**
 * AttachNetworkInterface and DetachNetworkInterface. An attachment is part of
 * the interface record (`eni-attach-` id, instance, device index); it is
 * created whole, so it is `attached` at once, and detaching removes it (the
 * interface is `available` again). The instance's device index is claimed by
 * create-if-absent in the same transaction as the interface's compare-and-swap,
 * so of two concurrent attachments to one slot, or of one interface to two
 * instances, exactly one wins. The associations of the interface's Elastic IPs
 * name the instance while it is attached.
 *
 * Instances belong to compute, which does not exist yet: any well-formed `i-`
 * id is accepted, unverified, and the zone is not checked. Compute will call
 * these when it launches and terminates instances (and must check both).
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation } from '@nimbus/service-kit';
import { IdPrefix, newId } from '../domain/ids.js';
import { invalidParameterValue, NetworkError } from '../domain/network-errors.js';
import { notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import { type AttachmentSlot, attachmentKeys } from '../state/attachment-keys.js';
import { createElasticIpAssociations } from '../state/elastic-ip-associations.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';
import type { ApiDeps } from './api-deps.js';
import { interfaceInUse } from './network-interface-errors.js';

type NetworkInterfaceAttachmentApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'attachNetworkInterface' | 'detachNetworkInterface'
>;

/** Nimbus: at most 16 interfaces per instance, whatever its type. */
export const maxDeviceIndex = 15;

function slotTaken(instanceId: string, deviceIndex: number): NetworkError {
  return invalidParameterValue(
    `Instance '${instanceId}' already has an interface attached at device index '${deviceIndex}'.`,
  );
}

export function createNetworkInterfaceAttachmentApi(deps: ApiDeps): NetworkInterfaceAttachmentApi {
  const interfaces = createRecords<NetworkInterfaceRecord>(deps.store);
  const slots = createRecords<AttachmentSlot>(deps.store);
  const elasticIps = createElasticIpAssociations(deps.store);

  return {
    async attachNetworkInterface(request, { accountId }) {
      const id = requireId(ResourceKinds.networkInterface, request.networkInterfaceId);
      const instanceId = requireId(ResourceKinds.instance, request.instanceId);
      const { deviceIndex } = request;
      if (deviceIndex < 0 || deviceIndex > maxDeviceIndex) {
        throw invalidParameterValue(`Device index ${deviceIndex} is not between 0 and ${maxDeviceIndex}.`);
      }
      const slotKey = attachmentKeys.slot(accountId, instanceId, deviceIndex);
      for (;;) {
        const eni = await interfaces.get(vpcKeys.networkInterface(accountId, id));
        if (!eni) throw notFound(ResourceKinds.networkInterface, id);
        if (eni.value.attachment) throw interfaceInUse(id);
        if (await slots.get(slotKey)) throw slotTaken(instanceId, deviceIndex);
        if (request.dryRun) throw dryRunOperation();
        const attachment = {
          attachmentId: newId(IdPrefix.attachment),
          instanceId,
          deviceIndex,
          attachTime: new Date().toISOString(),
          // EC2: an interface attached by AttachNetworkInterface outlives its instance.
          deleteOnTermination: false,
        };
        const result = await deps.store.txn([
          txnOps.create(slotKey, { networkInterfaceId: id, attachmentId: attachment.attachmentId }),
          txnOps.update(eni, { ...eni.value, attachment }),
          ...(await elasticIps.renameInstance(eni.value, instanceId)),
        ]);
        if (result.ok) return { attachmentId: attachment.attachmentId };
        // The slot or the interface changed meanwhile: look again.
      }
    },

    async detachNetworkInterface(request, { accountId, service }) {
      const attachmentId = requireId(ResourceKinds.interfaceAttachment, request.attachmentId);
      for (;;) {
        const eni = (await interfaces.list(vpcKeys.networkInterfaces(accountId))).find(
          (n) => n.value.attachment?.attachmentId === attachmentId,
        );
        const attachment = eni?.value.attachment;
        if (!eni || !attachment) throw notFound(ResourceKinds.interfaceAttachment, attachmentId);
        // Only the compute service (a service caller) detaches a primary interface, when its instance terminates.
        if (attachment.deviceIndex === 0 && !service) {
          throw new NetworkError(
            'OperationNotPermitted',
            `The network interface at device index 0 cannot be detached.`,
          );
        }
        if (request.dryRun) throw dryRunOperation();
        const slot = await slots.get(
          attachmentKeys.slot(accountId, attachment.instanceId, attachment.deviceIndex),
        );
        const { attachment: _detached, ...detached } = eni.value;
        const result = await deps.store.txn([
          txnOps.update(eni, detached),
          ...(slot?.value.attachmentId === attachmentId ? [txnOps.delete(slot)] : []),
          ...(await elasticIps.renameInstance(eni.value, '')),
        ]);
        if (result.ok) return {};
      }
    },
  };
}
