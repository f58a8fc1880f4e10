/** Groups, their instances and activities as the API shows them. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type {
  ActivitySchema,
  AutoScalingGroupSchema,
  AutoScalingInstanceDetailsSchema,
  InstanceSchema,
} from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_group_pb';
import type { ActivityRecord } from '../state/activity-records.js';
import type { GroupMember, GroupRecord } from '../state/group-records.js';

/** Members not yet given an instance id are not shown: Auto Scaling shows instances. */
const shown = (group: GroupRecord) => group.members.filter((m) => m.instanceId !== '');

function memberTemplate(m: GroupMember) {
  return {
    launchTemplateId: m.launchTemplateId,
    launchTemplateName: m.launchTemplateName,
    version: String(m.launchTemplateVersion),
  };
}

function memberFields(m: GroupMember) {
  return {
    instanceId: m.instanceId,
    instanceType: m.instanceType,
    availabilityZone: m.zone,
    lifecycleState: m.lifecycleState,
    healthStatus: m.healthStatus,
    ...(m.launchTemplateId ? { launchTemplate: memberTemplate(m) } : {}),
    launchConfigurationName: m.launchConfigurationName ?? '',
    protectedFromScaleIn: m.protectedFromScaleIn,
  };
}

export function instanceView(m: GroupMember): MessageInitShape<typeof InstanceSchema> {
  return memberFields(m);
}

export function instanceDetailsView(
  group: GroupRecord,
  m: GroupMember,
): MessageInitShape<typeof AutoScalingInstanceDetailsSchema> {
  return {
    ...memberFields(m),
    autoScalingGroupName: group.name,
    healthStatus: m.healthStatus.toUpperCase(),
  };
}

export function groupView(group: GroupRecord): MessageInitShape<typeof AutoScalingGroupSchema> {
  return {
    autoScalingGroupName: group.name,
    autoScalingGroupArn: group.arn,
    ...(group.launchTemplate.launchTemplateId ? { launchTemplate: group.launchTemplate } : {}),
    launchConfigurationName: group.launchConfigurationName ?? '',
    minSize: group.minSize,
    maxSize: group.maxSize,
    desiredCapacity: group.desiredCapacity,
    defaultCooldown: group.defaultCooldown,
    availabilityZones: group.availabilityZones,
    targetGroupArns: group.targetGroupArns,
    healthCheckType: group.healthCheckType,
    healthCheckGracePeriod: group.healthCheckGracePeriod,
    instances: shown(group).map(instanceView),
    createdTime: timestampFromMs(group.createdTime),
    suspendedProcesses: group.suspendedProcesses.map((p) => ({
      processName: p.processName,
      suspensionReason: p.reason,
    })),
    vpcZoneIdentifier: group.subnets.map((s) => s.subnetId).join(','),
    terminationPolicies: group.terminationPolicies,
    newInstancesProtectedFromScaleIn: group.newInstancesProtectedFromScaleIn,
    status: group.deleting ? 'Delete in progress' : '',
    tags: group.tags.map((t) => ({
      ...t,
      resourceId: group.name,
      resourceType: 'auto-scaling-group',
    })),
  };
}

export function activityView(a: ActivityRecord): MessageInitShape<typeof ActivitySchema> {
  return {
    activityId: a.activityId,
    autoScalingGroupName: a.groupName,
    autoScalingGroupArn: a.groupArn,
    description: a.description,
    cause: a.cause,
    startTime: timestampFromMs(a.startTime),
    ...(a.endTime === undefined ? {} : { endTime: timestampFromMs(a.endTime) }),
    statusCode: a.statusCode,
    statusMessage: a.statusMessage,
    progress: a.progress,
    details: JSON.stringify(a.details),
  };
}
