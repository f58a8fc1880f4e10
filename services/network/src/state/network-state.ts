/**
 * The VPC-side records of one store, and the lookups every handler starts
 * with: a resource of the caller's account by id, or EC2's NotFound.
 */
import type { Store } from '@nimbus/store';
import { notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import { createRecords, type Records, type Stored } from './records.js';
import { vpcKeys } from './vpc-keys.js';
import type {
  DefaultVpcMarker,
  GroupNameClaim,
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
  return {
    store,
    vpcs,
    subnets,
    groups,
    groupNames: createRecords<GroupNameClaim>(store),
    defaultVpcs: createRecords<DefaultVpcMarker>(store),
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
