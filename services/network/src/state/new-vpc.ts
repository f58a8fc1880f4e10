/**
 * A new VPC as the store operations that create it: the VPC, its `default`
 * security group (inbound from itself, outbound anywhere) and that group's
 * name claim, and for a default VPC its subnets. One transaction, so that no
 * process death leaves half a VPC behind.
 */

import type { StoredTag } from '@nimbus/service-kit';
import type { TxnOp } from '@nimbus/store';
import { IdPrefix, newId } from '../domain/ids.js';
import { defaultGroupName } from '../domain/security-group-names.js';
import { defaultEgressRule, defaultGroupIngressRule } from '../domain/security-group-rules.js';
import { txnOps } from './txn-ops.js';
import { vpcKeys } from './vpc-keys.js';
import type { SecurityGroupRecord, SubnetRecord, VpcRecord } from './vpc-records.js';

export interface NewVpc {
  vpc: VpcRecord;
  defaultGroup: SecurityGroupRecord;
  subnets: SubnetRecord[];
  ops: TxnOp[];
}

export function newVpc(
  accountId: string,
  spec: {
    cidrBlock: string;
    isDefault: boolean;
    tags: StoredTag[];
    subnets?: ReadonlyArray<{ availabilityZone: string; cidrBlock: string }>;
  },
): NewVpc {
  const createTime = new Date().toISOString();
  const vpc: VpcRecord = {
    vpcId: newId(IdPrefix.vpc),
    ownerId: accountId,
    cidrBlock: spec.cidrBlock,
    isDefault: spec.isDefault,
    createTime,
    tags: spec.tags,
  };
  const groupId = newId(IdPrefix.securityGroup);
  const defaultGroup: SecurityGroupRecord = {
    groupId,
    groupName: defaultGroupName,
    description: 'default VPC security group',
    vpcId: vpc.vpcId,
    ownerId: accountId,
    createTime,
    tags: [],
    rules: [defaultGroupIngressRule(groupId), defaultEgressRule()],
  };
  const subnets = (spec.subnets ?? []).map(
    (plan): SubnetRecord => ({
      subnetId: newId(IdPrefix.subnet),
      vpcId: vpc.vpcId,
      ownerId: accountId,
      cidrBlock: plan.cidrBlock,
      availabilityZone: plan.availabilityZone,
      defaultForAz: spec.isDefault,
      mapPublicIpOnLaunch: spec.isDefault,
      createTime,
      tags: [],
    }),
  );
  const ops = [
    txnOps.create(vpcKeys.vpc(accountId, vpc.vpcId), vpc),
    txnOps.create(vpcKeys.securityGroup(accountId, groupId), defaultGroup),
    txnOps.create(vpcKeys.groupName(accountId, vpc.vpcId, defaultGroupName), { groupId }),
    ...subnets.map((s) => txnOps.create(vpcKeys.subnet(accountId, s.subnetId), s)),
  ];
  return { vpc, defaultGroup, subnets, ops };
}
