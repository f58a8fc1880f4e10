/** Network interfaces as the API shows them, and their Describe filters. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type {
  NetworkInterfaceAssociationSchema,
  NetworkInterfaceSchema,
} from '@nimbus/api/gen/nimbus/network/v1/network_interface_pb';
import type { FilterFields } from '@nimbus/service-kit';
import { toTags } from '@nimbus/service-kit';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';

type Association = MessageInitShape<typeof NetworkInterfaceAssociationSchema>;

/** EC2's ip owner of an auto-assigned public address. */
const amazonOwner = 'amazon';

/** The public address of each private address: its Elastic IP, or for the primary the auto-assigned one. */
function associations(
  eni: NetworkInterfaceRecord,
  autoPublicIp: string | undefined,
): Map<string, Association> {
  const byPrivateIp = new Map<string, Association>();
  const primary = eni.privateIpAddresses[0];
  if (primary !== undefined && autoPublicIp) {
    byPrivateIp.set(primary, { publicIp: autoPublicIp, ipOwnerId: amazonOwner });
  }
  for (const e of eni.elasticIps ?? []) {
    byPrivateIp.set(e.privateIpAddress, {
      publicIp: e.publicIp,
      ipOwnerId: eni.ownerId,
      allocationId: e.allocationId,
      associationId: e.associationId,
    });
  }
  return byPrivateIp;
}

export function interfaceStatus(eni: NetworkInterfaceRecord): 'available' | 'in-use' {
  return eni.attachment ? 'in-use' : 'available';
}

export function toNetworkInterface(
  eni: NetworkInterfaceRecord,
  groupNames: ReadonlyMap<string, string>,
  autoPublicIp?: string,
): MessageInitShape<typeof NetworkInterfaceSchema> {
  const publicIps = associations(eni, autoPublicIp);
  const primary = eni.privateIpAddresses[0] ?? '';
  const primaryAssociation = publicIps.get(primary);
  const { attachment } = eni;
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    ownerId: eni.ownerId,
    privateIpAddress: primary,
    privateIpAddresses: eni.privateIpAddresses.map((ip, i) => {
      const association = publicIps.get(ip);
      return { privateIpAddress: ip, primary: i === 0, ...(association ? { association } : {}) };
    }),
    groups: eni.groupIds.map((groupId) => ({ groupId, groupName: groupNames.get(groupId) ?? '' })),
    status: interfaceStatus(eni),
    ...(primaryAssociation ? { association: primaryAssociation } : {}),
    ...(attachment
      ? {
          attachment: {
            attachmentId: attachment.attachmentId,
            instanceId: attachment.instanceId,
            instanceOwnerId: eni.ownerId,
            deviceIndex: attachment.deviceIndex,
            status: 'attached',
            attachTime: timestampFromDate(new Date(attachment.attachTime)),
            deleteOnTermination: attachment.deleteOnTermination,
          },
        }
      : {}),
    macAddress: eni.macAddress,
    sourceDestCheck: eni.sourceDestCheck ?? true,
    interfaceType: 'interface',
    requesterManaged: false,
    tags: toTags(eni.tags),
  };
}

export const networkInterfaceFilterFields: FilterFields<NetworkInterfaceRecord> = {
  'network-interface-id': (n) => n.networkInterfaceId,
  'subnet-id': (n) => n.subnetId,
  'vpc-id': (n) => n.vpcId,
  'availability-zone': (n) => n.availabilityZone,
  description: (n) => n.description,
  'owner-id': (n) => n.ownerId,
  'private-ip-address': (n) => n.privateIpAddresses,
  'addresses.private-ip-address': (n) => n.privateIpAddresses,
  'group-id': (n) => n.groupIds,
  'mac-address': (n) => n.macAddress,
  status: (n) => interfaceStatus(n),
  'interface-type': () => 'interface',
  'source-dest-check': (n) => String(n.sourceDestCheck ?? true),
  'association.public-ip': (n) => (n.elasticIps ?? []).map((e) => e.publicIp),
  'association.allocation-id': (n) => (n.elasticIps ?? []).map((e) => e.allocationId),
  'association.association-id': (n) => (n.elasticIps ?? []).map((e) => e.associationId),
  'attachment.attachment-id': (n) => n.attachment?.attachmentId,
  'attachment.instance-id': (n) => n.attachment?.instanceId,
  'attachment.device-index': (n) => (n.attachment ? String(n.attachment.deviceIndex) : undefined),
  'attachment.status': (n) => (n.attachment ? 'attached' : undefined),
};
