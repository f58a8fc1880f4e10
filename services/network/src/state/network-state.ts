/**
 * The VPC-side records of one store, and the lookups every handler starts
 * with: a resource of the caller's account by id, or EC2's NotFound.
 */

import { createRecords, type Records, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import { vpcKeys } from './vpc-keys.js';
import type {
  DefaultVpcMarker,
  GroupNameClaim,
  NetworkInterfaceRecord,
  PrivateIpClaim,
  SecurityGroupRecord,
  SubnetRecord,
  VpcRecord,
} from './vpc-records.js';

export interface NetworkState {
  store: Store;
  vpcs: Records<VpcRecord>;
  subnets: Records<SubnetRecord>;
  groups: Records<SecurityGroupRecord>;
  groupNames: Records<GroupNameClaim>;
  defaultVpcs: Records<DefaultVpcMarker>;
  networkInterfaces: Records<NetworkInterfaceRecord>;
  /** The account's interfaces. */
  interfacesOf(accountId: string): Promise<NetworkInterfaceRecord[]>;
  /** How many private addresses are held in each subnet of the account. */
  addressesInUse(accountId: string): Promise<Map<string, number>>;
  /** The VPC, or InvalidVpcID.Malformed / InvalidVpcID.NotFound. */
  vpc(accountId: string, vpcId: string): Promise<Stored<VpcRecord>>;
  subnet(accountId: string, subnetId: string): Promise<Stored<SubnetRecord>>;
  group(accountId: string, groupId: string): Promise<Stored<SecurityGroupRecord>>;
  /** Every subnet of the account in that VPC. */
  subnetsOf(accountId: string, vpcId: string): Promise<Stored<SubnetRecord>[]>;
  groupsOf(accountId: string, vpcId: string): Promise<Stored<SecurityGroupRecord>[]>;
}

export function createNetworkState(store: Store): NetworkState {
  const vpcs = createRecords<VpcRecord>(store);
  const subnets = createRecords<SubnetRecord>(store);
  const groups = createRecords<SecurityGroupRecord>(store);
  const networkInterfaces = createRecords<NetworkInterfaceRecord>(store);
  const privateIps = createRecords<PrivateIpClaim>(store);
  return {
    store,
    vpcs,
    subnets,
    groups,
    groupNames: createRecords<GroupNameClaim>(store),
    defaultVpcs: createRecords<DefaultVpcMarker>(store),
    networkInterfaces,
    async interfacesOf(accountId) {
      return (await networkInterfaces.list(vpcKeys.networkInterfaces(accountId))).map((r) => r.value);
    },
    async addressesInUse(accountId) {
      const counts = new Map<string, number>();
      const prefix = vpcKeys.privateIps(accountId);
      for (const claim of await privateIps.list(prefix)) {
        const subnetId = claim.key.slice(prefix.length).split('/')[0] ?? '';
        counts.set(subnetId, (counts.get(subnetId) ?? 0) + 1);
      }
      return counts;
    },
    async vpc(accountId, vpcId) {
      const found = await vpcs.get(vpcKeys.vpc(accountId, requireId(ResourceKinds.vpc, vpcId)));
      if (!found) throw notFound(ResourceKinds.vpc, vpcId);
      return found;
    },
    async subnet(accountId, subnetId) {
      const found = await subnets.get(vpcKeys.subnet(accountId, requireId(ResourceKinds.subnet, subnetId)));
      if (!found) throw notFound(ResourceKinds.subnet, subnetId);
      return found;
    },
    async group(accountId, groupId) {
      const key = vpcKeys.securityGroup(accountId, requireId(ResourceKinds.securityGroup, groupId));
      const found = await groups.get(key);
      if (!found) throw notFound(ResourceKinds.securityGroup, groupId);
      return found;
    },
    async subnetsOf(accountId, vpcId) {
      return (await subnets.list(vpcKeys.subnets(accountId))).filter((s) => s.value.vpcId === vpcId);
    },
    async groupsOf(accountId, vpcId) {
      return (await groups.list(vpcKeys.securityGroups(accountId))).filter((g) => g.value.vpcId === vpcId);
    },
  };
}
