/**
 * Auto Scaling groups as stored: the spec the API writes and, in the same
 * record, the members the controller keeps. A member is written before its
 * instance is launched (with the client token and the exact RunInstances
 * arguments it will use) and marked Terminating before it is terminated, so a
 * controller that dies at any point finds its intent on restart and carries it
 * out once.
 */
import type { JsonValue } from '@bufbuild/protobuf';
import type { ScalingProcess } from '../domain/process-names.js';

export type LifecycleState = 'Pending' | 'InService' | 'Terminating';
export type HealthStatus = 'Healthy' | 'Unhealthy';

export interface GroupTag {
  key: string;
  value: string;
  propagateAtLaunch: boolean;
}

export interface GroupSubnet {
  subnetId: string;
  zone: string;
}

export interface LaunchTemplateRef {
  launchTemplateId: string;
  launchTemplateName: string;
  /** A number, `$Latest` or `$Default`. */
  version: string;
}

export interface GroupMember {
  /** Numbers the group's launches; the client token is derived from it. */
  slot: number;
  clientToken: string;
  /** RunInstancesRequest in protobuf's JSON form: a retry sends exactly the first call's arguments. */
  launch: JsonValue;
  zone: string;
  /** Empty until RunInstances (or a look-up by client token) answered. */
  instanceId: string;
  instanceType: string;
  launchTemplateId: string;
  launchTemplateName: string;
  launchTemplateVersion: number;
  /** The launch configuration it was launched from, when not a template. */
  launchConfigurationName?: string;
  lifecycleState: LifecycleState;
  healthStatus: HealthStatus;
  protectedFromScaleIn: boolean;
  /** When the slot was written (epoch ms): the grace period and the instance hour count from here. */
  launchedAt: number;
  /** The activity launching it, then the one terminating it. */
  activityId: string;
  activityKey: string;
  /** Target groups it was registered with. */
  registeredWith: string[];
  /** Target groups it was deregistered from on its way out, which may still drain it. */
  drainingFrom?: string[];
  /** Why it is being terminated (the terminating activity's cause is written from it). */
  terminateCause?: string;
}

export interface GroupRecord {
  name: string;
  accountId: string;
  /** A UUID, also in the ARN: a group made again with the same name is another group. */
  groupId: string;
  arn: string;
  /** Empty id and name when the group launches from a launch configuration. */
  launchTemplate: LaunchTemplateRef;
  /** The launch configuration the group launches from, when not a template. */
  launchConfigurationName?: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldown: number;
  availabilityZones: string[];
  subnets: GroupSubnet[];
  targetGroupArns: string[];
  healthCheckType: 'EC2' | 'ELB';
  healthCheckGracePeriod: number;
  terminationPolicies: string[];
  newInstancesProtectedFromScaleIn: boolean;
  tags: GroupTag[];
  suspendedProcesses: { processName: ScalingProcess; reason: string }[];
  createdTime: number;
  /** Set by DeleteAutoScalingGroup with ForceDelete: capacity goes to 0, then the record goes. */
  deleting: boolean;
  nextSlot: number;
  /** After a failed launch, no new one before this (epoch ms). */
  launchRetryAfter?: number;
  /** When the last scaling activity ended (epoch ms): the cooldown counts from here. */
  lastActivityEnd: number;
  members: GroupMember[];
}

export function isSuspended(group: GroupRecord, process: ScalingProcess): boolean {
  return group.suspendedProcesses.some((p) => p.processName === process);
}

/** Members that count toward capacity: all but those on their way out. */
export function liveMembers(group: GroupRecord): GroupMember[] {
  return group.members.filter((m) => m.lifecycleState !== 'Terminating');
}
