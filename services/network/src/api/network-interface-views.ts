/** Network interfaces as the API shows them, and their Describe filters. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { NetworkInterfaceSchema } from '@nimbus/api/gen/nimbus/network/v1/network_interface_pb';
import type { FilterFields } from '../domain/filters.js';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';
import { toTags } from './tags.js';

export function toNetworkInterface(
  eni: NetworkInterfaceRecord,
  groupNames: ReadonlyMap<string, string>,
): MessageInitShape<typeof NetworkInterfaceSchema> {
  return {
    networkInterfaceId: eni.networkInterfaceId,
    subnetId: eni.subnetId,
    vpcId: eni.vpcId,
    availabilityZone: eni.availabilityZone,
    description: eni.description,
    ownerId: eni.ownerId,
    privateIpAddress: eni.privateIpAddresses[0] ?? '',
    privateIpAddresses: eni.privateIpAddresses.map((ip, i) => ({ privateIpAddress: ip, primary: i === 0 })),
    groups: eni.groupIds.map((groupId) => ({ groupId, groupName: groupNames.get(groupId) ?? '' })),
    status: 'available',
    macAddress: eni.macAddress,
    sourceDestCheck: true,
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
  status: () => 'available',
  'interface-type': () => 'interface',
};
