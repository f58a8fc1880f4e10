/**
 * Auto Scaling's group actions. The API writes a group's spec (and, for
 * TerminateInstanceInAutoScalingGroup, marks the member Terminating with its
 * activity in the same transaction); the group controller does the launching
 * and terminating.
 */
import { randomUUID } from 'node:crypto';
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { compileFilters, createRecords, isApiError, pageOf, resolveMaxResults } from '@nimbus/service-kit';
import {
  groupAlreadyExists,
  groupNotFound,
  missingParameter,
  resourceInUse,
  scalingActivityInProgress,
  validationError,
} from '../domain/autoscaling-errors.js';
import { checkGroupName, checkHealthCheckType, checkNonNegative, checkSizes } from '../domain/group-rules.js';
import { processesOf } from '../domain/process-names.js';
import { checkTerminationPolicies } from '../domain/termination-policy.js';
import { newActivity } from '../state/activities.js';
import { type ActivityRecord, causeTime, finishedStatuses } from '../state/activity-records.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupRecord, GroupSubnet, GroupTag, LaunchTemplateRef } from '../state/group-records.js';
import { createGroupStore } from '../state/group-store.js';
import { createTemplateStore } from '../state/template-store.js';
import type { ApiDeps } from './api-deps.js';
import { activityView, groupView, instanceDetailsView } from './group-views.js';

type GroupApi = Omit<
  ServiceImpl<typeof AutoScalingService>,
  | 'createLaunchTemplate'
  | 'createLaunchTemplateVersion'
  | 'describeLaunchTemplates'
  | 'describeLaunchTemplateVersions'
  | 'modifyLaunchTemplate'
  | 'deleteLaunchTemplate'
  | 'deleteLaunchTemplateVersions'
  | 'attachInstances'
  | 'detachInstances'
>;

const maxTargetGroups = 10;

export function createGroupApi(deps: ApiDeps): GroupApi {
  const { store, now, settings } = deps;
  const groups = createGroupStore(store);
  const templates = createTemplateStore(store);
  const activities = createRecords<ActivityRecord>(store);
  const nudge = (g: { accountId: string; name: string }) =>
    deps.nudge?.(autoscalingKeys.group(g.accountId, g.name));

  /** The template a group names, refused as Auto Scaling refuses it. */
  const checkTemplate = async (
    accountId: string,
    spec: LaunchTemplateRef | undefined,
  ): Promise<LaunchTemplateRef> => {
    if (!spec || (!spec.launchTemplateId && !spec.launchTemplateName)) {
      throw validationError(
        'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
      );
    }
    try {
      const resolved = await templates.resolve(accountId, spec, spec.version);
      return {
        launchTemplateId: resolved.template.launchTemplateId,
        launchTemplateName: resolved.template.launchTemplateName,
        version: spec.version || '$Default',
      };
    } catch (error) {
      if (isApiError(error))
        throw validationError(`You must use a valid fully-formed launch template. ${error.message}`);
      throw error;
    }
  };

  const checkPlacement = async (
    accountId: string,
    zones: readonly string[],
    vpcZoneIdentifier: string,
  ): Promise<{ availabilityZones: string[]; subnets: GroupSubnet[] }> => {
    const subnetIds = vpcZoneIdentifier
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (zones.length === 0 && subnetIds.length === 0) {
      throw validationError('At least one Availability Zone or VPC Subnet is required.');
    }
    let subnets: GroupSubnet[] = [];
    if (subnetIds.length > 0) {
      if (!deps.network)
        throw validationError('VPCZoneIdentifier needs the network service, which this region does not run.');
      subnets = await deps.network.subnets(accountId, subnetIds);
    }
    const known = await deps.compute.zones(accountId);
    for (const zone of zones) {
      if (!known.includes(zone)) throw validationError(`The availability zone '${zone}' is not legal`);
    }
    const availabilityZones =
      subnets.length > 0 ? [...new Set(subnets.map((s) => s.zone))] : [...new Set(zones)];
    return { availabilityZones, subnets };
  };

  const checkTargetGroups = async (accountId: string, arns: readonly string[]) => {
    if (arns.length === 0) return;
    if (arns.length > maxTargetGroups)
      throw validationError(`At most ${maxTargetGroups} target groups may be given at once.`);
    if (!deps.loadBalancers)
      throw validationError('Target groups need the load-balancer service, which this region does not run.');
    await deps.loadBalancers.checkTargetGroups(accountId, arns);
  };

  const tagsOf = (
    tags: readonly { key: string; value: string; propagateAtLaunch: boolean }[],
  ): GroupTag[] => {
    for (const t of tags) {
      if (t.key === '' || t.key.length > 128 || t.value.length > 256)
        throw validationError(`Tag key must be 1-128 characters and value at most 256: '${t.key}'`);
      if (t.key.toLowerCase().startsWith('aws:'))
        throw validationError("Tag keys starting with 'aws:' are reserved for internal use");
    }
    return tags.map((t) => ({ key: t.key, value: t.value, propagateAtLaunch: t.propagateAtLaunch }));
  };

  const inProgress = async (group: GroupRecord) =>
    (await activities.list(autoscalingKeys.groupActivities(group.accountId, group.name))).some(
      (a) => a.value.groupArn === group.arn && !finishedStatuses.has(a.value.statusCode),
    );

  const findMember = async (accountId: string, instanceId: string) => {
    for (const g of await groups.groups.list(autoscalingKeys.groups(accountId))) {
      if (g.value.members.some((m) => m.instanceId === instanceId)) return g;
    }
    throw validationError(`Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
  };

  return {
    async createAutoScalingGroup(request, { accountId }) {
      checkGroupName(request.autoScalingGroupName);
      const desired = request.desiredCapacity ?? request.minSize;
      checkSizes(request.minSize, request.maxSize, desired);
      const healthCheckType = checkHealthCheckType(request.healthCheckType);
      const defaultCooldown = checkNonNegative('DefaultCooldown', request.defaultCooldown ?? 300);
      const grace = checkNonNegative('HealthCheckGracePeriod', request.healthCheckGracePeriod ?? 0);
      checkTerminationPolicies(request.terminationPolicies);
      const tags = tagsOf(request.tags);
      const launchTemplate = await checkTemplate(accountId, request.launchTemplate);
      const placement = await checkPlacement(accountId, request.availabilityZones, request.vpcZoneIdentifier);
      await checkTargetGroups(accountId, request.targetGroupArns);
      const groupId = randomUUID();
      const name = request.autoScalingGroupName;
      const group: GroupRecord = {
        name,
        accountId,
        groupId,
        arn: `arn:aws:autoscaling:${settings.region}:${accountId}:autoScalingGroup:${groupId}:autoScalingGroupName/${name}`,
        launchTemplate,
        minSize: request.minSize,
        maxSize: request.maxSize,
        desiredCapacity: desired,
        defaultCooldown,
        ...placement,
        targetGroupArns: [...new Set(request.targetGroupArns)],
        healthCheckType,
        healthCheckGracePeriod: grace,
        terminationPolicies:
          request.terminationPolicies.length > 0 ? [...request.terminationPolicies] : ['Default'],
        newInstancesProtectedFromScaleIn: request.newInstancesProtectedFromScaleIn,
        tags,
        suspendedProcesses: [],
        createdTime: now(),
        deleting: false,
        nextSlot: 0,
        lastActivityEnd: 0,
        members: [],
      };
      if (!(await groups.groups.create(autoscalingKeys.group(accountId, name), group)))
        throw groupAlreadyExists(name);
      nudge(group);
      return {};
    },

    async updateAutoScalingGroup(request, { accountId }) {
      const name = request.autoScalingGroupName;
      const current = await groups.require(accountId, name);
      const launchTemplate = request.launchTemplate
        ? await checkTemplate(accountId, request.launchTemplate)
        : undefined;
      const placement =
        request.availabilityZones.length > 0 || request.vpcZoneIdentifier
          ? await checkPlacement(accountId, request.availabilityZones, request.vpcZoneIdentifier)
          : undefined;
      const healthCheckType = request.healthCheckType
        ? checkHealthCheckType(request.healthCheckType)
        : undefined;
      checkTerminationPolicies(request.terminationPolicies);
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          if (g.deleting) throw scalingActivityInProgress('The group is being deleted.');
          const minSize = request.minSize ?? g.minSize;
          const maxSize = request.maxSize ?? g.maxSize;
          // A new minimum above the desired capacity raises it; a new maximum below it lowers it.
          let desired = request.desiredCapacity ?? g.desiredCapacity;
          if (request.desiredCapacity === undefined) desired = Math.min(Math.max(desired, minSize), maxSize);
          checkSizes(minSize, maxSize, desired);
          const next: GroupRecord = {
            ...g,
            ...(launchTemplate ? { launchTemplate } : {}),
            ...(placement ?? {}),
            ...(healthCheckType ? { healthCheckType } : {}),
            minSize,
            maxSize,
            desiredCapacity: desired,
            defaultCooldown: checkNonNegative(
              'DefaultCooldown',
              request.defaultCooldown ?? g.defaultCooldown,
            ),
            healthCheckGracePeriod: checkNonNegative(
              'HealthCheckGracePeriod',
              request.healthCheckGracePeriod ?? g.healthCheckGracePeriod,
            ),
            terminationPolicies:
              request.terminationPolicies.length > 0
                ? [...request.terminationPolicies]
                : g.terminationPolicies,
            newInstancesProtectedFromScaleIn:
              request.newInstancesProtectedFromScaleIn ?? g.newInstancesProtectedFromScaleIn,
          };
          return { group: next, result: undefined };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return {};
    },

    async deleteAutoScalingGroup(request, { accountId }) {
      const name = request.autoScalingGroupName;
      for (;;) {
        const current = await groups.require(accountId, name);
        const g = current.value;
        if (!request.forceDelete) {
          if (g.members.length > 0) {
            throw resourceInUse(
              'You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.',
            );
          }
          if (await inProgress(g)) {
            throw scalingActivityInProgress(
              'You cannot delete an AutoScalingGroup while there are scaling activities in progress.',
            );
          }
        }
        if (g.members.length === 0 && g.desiredCapacity === 0) {
          if (await groups.groups.delete(current)) return {};
          continue;
        }
        if (!request.forceDelete) {
          // Desired above zero with no members yet: nothing launched to wait for, but a launch may be about to start.
          throw scalingActivityInProgress(
            'You cannot delete an AutoScalingGroup while there are scaling activities in progress.',
          );
        }
        if (await groups.groups.update(current, { ...g, deleting: true, minSize: 0, desiredCapacity: 0 })) {
          nudge(g);
          return {};
        }
      }
    },

    async describeAutoScalingGroups(request, { accountId }) {
      const pageSize = resolveMaxResults(request.maxRecords, { min: 1, max: 100, fallback: 50 });
      const wanted = new Set(request.autoScalingGroupNames);
      const matches = compileFilters(request.filters, {}, { tags: (g: GroupRecord) => g.tags });
      const all = (await groups.groups.list(autoscalingKeys.groups(accountId))).filter(
        (g) => (wanted.size === 0 || wanted.has(g.value.name)) && matches(g.value),
      );
      const page = pageOf(all, (g) => g.key, {
        nextToken: request.nextToken,
        pageSize,
        keyPrefix: autoscalingKeys.groups(accountId),
      });
      return { autoScalingGroups: page.items.map((g) => groupView(g.value)), nextToken: page.nextToken };
    },

    async setDesiredCapacity(request, { accountId }) {
      const name = request.autoScalingGroupName;
      const current = await groups.require(accountId, name);
      const desired = request.desiredCapacity;
      if (request.honorCooldown && (await inProgress(current.value))) {
        throw scalingActivityInProgress(
          `Scaling activity is in progress and blocks this action on group ${name}.`,
        );
      }
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          if (desired > g.maxSize)
            throw validationError(
              `New SetDesiredCapacity value ${desired} is above max value ${g.maxSize} for the AutoScalingGroup.`,
            );
          if (desired < g.minSize)
            throw validationError(
              `New SetDesiredCapacity value ${desired} is below min value ${g.minSize} for the AutoScalingGroup.`,
            );
          if (request.honorCooldown && now() < g.lastActivityEnd + g.defaultCooldown * 1000) {
            throw scalingActivityInProgress(
              `The group ${name} is in its cooldown period after the last scaling activity.`,
            );
          }
          if (g.desiredCapacity === desired) return { result: undefined };
          return { group: { ...g, desiredCapacity: desired }, result: undefined };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return {};
    },

    async terminateInstanceInAutoScalingGroup(request, { accountId }) {
      const instanceId = request.instanceId;
      if (!instanceId) throw missingParameter('InstanceId');
      const found = await findMember(accountId, instanceId);
      const activity = await groups.mutate(
        found.key,
        ({ value: g }) => {
          const member = g.members.find((m) => m.instanceId === instanceId);
          if (!member)
            throw validationError(
              `Instance Id not found - No managed instance found for instance ID: ${instanceId}`,
            );
          const decrement = request.shouldDecrementDesiredCapacity && member.lifecycleState !== 'Terminating';
          if (decrement && g.desiredCapacity - 1 < g.minSize) {
            throw validationError(
              `Currently, desiredSize equals minSize (${g.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
            );
          }
          const at = now();
          const cause = decrement
            ? `At ${causeTime(at)} instance ${instanceId} was taken out of service in response to a user request, shrinking the capacity from ${g.desiredCapacity} to ${g.desiredCapacity - 1}.`
            : `At ${causeTime(at)} instance ${instanceId} was taken out of service in response to a user request.`;
          if (member.lifecycleState === 'Terminating') {
            return { result: undefined as ActivityRecord | undefined };
          }
          const made = newActivity(
            g,
            {
              description: `Terminating EC2 instance: ${instanceId}`,
              cause,
              statusCode: 'InProgress',
              progress: 0,
              details: { 'Availability Zone': member.zone },
            },
            at,
          );
          const members = g.members.map((m) =>
            m === member
              ? {
                  ...m,
                  lifecycleState: 'Terminating' as const,
                  activityId: made.record.activityId,
                  activityKey: made.key,
                  terminateCause: cause,
                }
              : m,
          );
          return {
            group: { ...g, members, desiredCapacity: decrement ? g.desiredCapacity - 1 : g.desiredCapacity },
            ops: [made.op],
            result: made.record as ActivityRecord | undefined,
          };
        },
        () => groupNotFound(found.value.name),
      );
      nudge(found.value);
      if (!activity) {
        const member = (await groups.require(accountId, found.value.name)).value.members.find(
          (m) => m.instanceId === instanceId,
        );
        const existing = member && (await activities.get(member.activityKey));
        return existing ? { activity: activityView(existing.value) } : {};
      }
      return { activity: activityView(activity) };
    },

    async describeAutoScalingInstances(request, { accountId }) {
      const pageSize = resolveMaxResults(request.maxRecords, { min: 1, max: 50, fallback: 50 });
      const wanted = new Set(request.instanceIds);
      const rows = (await groups.groups.list(autoscalingKeys.groups(accountId)))
        .flatMap((g) => g.value.members.filter((m) => m.instanceId !== '').map((m) => ({ g: g.value, m })))
        .filter(({ m }) => wanted.size === 0 || wanted.has(m.instanceId))
        .sort((a, b) => a.m.instanceId.localeCompare(b.m.instanceId));
      const page = pageOf(rows, (r) => r.m.instanceId, { nextToken: request.nextToken, pageSize });
      return {
        autoScalingInstances: page.items.map(({ g, m }) => instanceDetailsView(g, m)),
        nextToken: page.nextToken,
      };
    },

    async describeScalingActivities(request, { accountId }) {
      const pageSize = resolveMaxResults(request.maxRecords, { min: 1, max: 100, fallback: 100 });
      const name = request.autoScalingGroupName;
      const group = name
        ? (await groups.groups.get(autoscalingKeys.group(accountId, name)))?.value
        : undefined;
      if (name && !group && !request.includeDeletedGroups) throw groupNotFound(name);
      const prefix = name
        ? autoscalingKeys.groupActivities(accountId, name)
        : autoscalingKeys.activities(accountId);
      const wanted = new Set(request.activityIds);
      const rows = (await activities.list(prefix)).filter(
        (a) =>
          (wanted.size === 0 || wanted.has(a.value.activityId)) &&
          (request.includeDeletedGroups || !group || a.value.groupArn === group.arn),
      );
      const page = pageOf(rows, (a) => a.key, { nextToken: request.nextToken, pageSize, keyPrefix: prefix });
      return { activities: page.items.map((a) => activityView(a.value)), nextToken: page.nextToken };
    },

    async attachLoadBalancerTargetGroups(request, { accountId }) {
      const name = request.autoScalingGroupName;
      const current = await groups.require(accountId, name);
      await checkTargetGroups(accountId, request.targetGroupArns);
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          const targetGroupArns = [...new Set([...g.targetGroupArns, ...request.targetGroupArns])];
          return { group: { ...g, targetGroupArns }, result: undefined };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return {};
    },

    async detachLoadBalancerTargetGroups(request, { accountId }) {
      const name = request.autoScalingGroupName;
      const current = await groups.require(accountId, name);
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          const targetGroupArns = g.targetGroupArns.filter((arn) => !request.targetGroupArns.includes(arn));
          return { group: { ...g, targetGroupArns }, result: undefined };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return {};
    },

    async setInstanceProtection(request, { accountId }) {
      const name = request.autoScalingGroupName;
      if (request.instanceIds.length === 0) throw missingParameter('InstanceIds');
      const current = await groups.require(accountId, name);
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          for (const id of request.instanceIds) {
            if (!g.members.some((m) => m.instanceId === id))
              throw validationError(`The instance ${id} is not part of Auto Scaling group ${name}.`);
          }
          const members = g.members.map((m) =>
            request.instanceIds.includes(m.instanceId)
              ? { ...m, protectedFromScaleIn: request.protectedFromScaleIn }
              : m,
          );
          return { group: { ...g, members }, result: undefined };
        },
        () => groupNotFound(name),
      );
      return {};
    },

    async suspendProcesses(request, { accountId }) {
      const name = request.autoScalingGroupName;
      const processes = processesOf(request.scalingProcesses);
      const current = await groups.require(accountId, name);
      const at = causeTime(now());
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          const kept = g.suspendedProcesses.filter((p) => !processes.includes(p.processName));
          const added = processes.map((processName) => ({
            processName,
            reason:
              g.suspendedProcesses.find((p) => p.processName === processName)?.reason ??
              `User suspended at ${at}`,
          }));
          return { group: { ...g, suspendedProcesses: [...kept, ...added] }, result: undefined };
        },
        () => groupNotFound(name),
      );
      return {};
    },

    async resumeProcesses(request, { accountId }) {
      const name = request.autoScalingGroupName;
      const processes = processesOf(request.scalingProcesses);
      const current = await groups.require(accountId, name);
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          const suspendedProcesses = g.suspendedProcesses.filter((p) => !processes.includes(p.processName));
          return { group: { ...g, suspendedProcesses }, result: undefined };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return {};
    },
  };
}
