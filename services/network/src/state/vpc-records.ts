/**
 * The stored forms of VPCs, subnets and security groups: JSON documents under
 * `vpc-keys.ts`, written with compare-and-swap on their revision.
 */

import type { StoredTag } from '@nimbus/service-kit';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';

export interface VpcRecord {
  vpcId: string;
  ownerId: string;
  cidrBlock: string;
  isDefault: boolean;
  createTime: string;
  tags: StoredTag[];
}

export interface SubnetRecord {
  subnetId: string;
  vpcId: string;
  ownerId: string;
  cidrBlock: string;
  availabilityZone: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  createTime: string;
  tags: StoredTag[];
  /**
   * Set (ISO time) by DeleteSubnet while it decides whether the subnet is in
   * use; no interface is created meanwhile (see subnet-deletion.ts).
   */
  deletingSince?: string;
}

export interface StoredRule extends SecurityGroupRule {
  tags?: StoredTag[];
}

export interface SecurityGroupRecord {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  createTime: string;
  tags: StoredTag[];
  /** Inbound and outbound rules, changed only by compare-and-swap of the whole group. */
  rules: StoredRule[];
  /**
   * Set (ISO time) by DeleteSecurityGroup while it decides whether the group is
   * in use; nothing starts to depend on it meanwhile (security-group-deletion.ts).
   */
  deletingSince?: string;
}

/** The claim of a group name in a VPC. */
export interface GroupNameClaim {
  groupId: string;
}

/** Which VPC is the account's default one. */
export interface DefaultVpcMarker {
  vpcId: string;
}

export interface NetworkInterfaceRecord {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  description: string;
  ownerId: string;
  /** The first is the primary address. */
  privateIpAddresses: string[];
  groupIds: string[];
  macAddress: string;
  createTime: string;
  tags: StoredTag[];
  /** Unset means true (interfaces stored before the attribute existed). */
  sourceDestCheck?: boolean;
  /**
   * The Elastic IPs on its private addresses, at most one each: the mirror of
   * the address records' associations, written in the same transactions.
   */
  elasticIps?: InterfaceElasticIp[];
  attachment?: InterfaceAttachment;
}

export interface InterfaceElasticIp {
  privateIpAddress: string;
  publicIp: string;
  allocationId: string;
  associationId: string;
}

export interface InterfaceAttachment {
  attachmentId: string;
  instanceId: string;
  deviceIndex: number;
  attachTime: string;
  deleteOnTermination: boolean;
}

/** Who holds a private address of a subnet. */
export interface PrivateIpClaim {
  networkInterfaceId: string;
}
