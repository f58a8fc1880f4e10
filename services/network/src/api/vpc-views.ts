/**
 * VPCs and subnets as the API shows them, and the EC2 filter names each
 * Describe call understands.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { SubnetSchema, VpcSchema } from '@nimbus/api/gen/nimbus/network/v1/vpc_pb';
import type { FilterFields } from '@nimbus/service-kit';
import { toTags } from '@nimbus/service-kit';
import { parseCidr, usableAddressCount } from '../domain/cidr.js';
import type { SubnetRecord, VpcRecord } from '../state/vpc-records.js';

export function toVpc(vpc: VpcRecord): MessageInitShape<typeof VpcSchema> {
  return {
    vpcId: vpc.vpcId,
    ownerId: vpc.ownerId,
    cidrBlock: vpc.cidrBlock,
    state: 'available',
    isDefault: vpc.isDefault,
    instanceTenancy: 'default',
    tags: toTags(vpc.tags),
  };
}

/** `usedAddresses`: addresses of the subnet held by network interfaces. */
export function toSubnet(subnet: SubnetRecord, usedAddresses = 0): MessageInitShape<typeof SubnetSchema> {
  return {
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    ownerId: subnet.ownerId,
    cidrBlock: subnet.cidrBlock,
    availabilityZone: subnet.availabilityZone,
    availableIpAddressCount: usableAddressCount(parseCidr(subnet.cidrBlock)) - usedAddresses,
    defaultForAz: subnet.defaultForAz,
    mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
    state: 'available',
    tags: toTags(subnet.tags),
  };
}

export const vpcFilterFields: FilterFields<VpcRecord> = {
  'vpc-id': (v) => v.vpcId,
  'cidr-block': (v) => v.cidrBlock,
  cidr: (v) => v.cidrBlock,
  'cidr-block-association.cidr-block': (v) => v.cidrBlock,
  'is-default': (v) => v.isDefault,
  'owner-id': (v) => v.ownerId,
  state: () => 'available',
  'instance-tenancy': () => 'default',
};

export const subnetFilterFields: FilterFields<SubnetRecord> = {
  'subnet-id': (s) => s.subnetId,
  'vpc-id': (s) => s.vpcId,
  'cidr-block': (s) => s.cidrBlock,
  cidr: (s) => s.cidrBlock,
  cidrBlock: (s) => s.cidrBlock,
  'availability-zone': (s) => s.availabilityZone,
  availabilityZone: (s) => s.availabilityZone,
  'default-for-az': (s) => s.defaultForAz,
  defaultForAz: (s) => s.defaultForAz,
  'map-public-ip-on-launch': (s) => s.mapPublicIpOnLaunch,
  'owner-id': (s) => s.ownerId,
  state: () => 'available',
};
