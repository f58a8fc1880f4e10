/**
 * Auto Scaling's actions on a group's spec: create, update, delete, describe,
 * and its target groups. The API writes the spec; the group controller
 * launches, registers and terminates to meet it.
 */
import { randomUUID } from 'node:crypto';
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { compileFilters, pageOf, resolveMaxResults } from '@nimbus/service-kit';
import {
  groupAlreadyExists,
  groupNotFound,
  resourceInUse,
  scalingActivityInProgress,
} from '../domain/autoscaling-errors.js';
import { checkGroupName, checkHealthCheckType, checkNonNegative, checkSizes } from '../domain/group-rules.js';
import { checkTerminationPolicies } from '../domain/termination-policy.js';
import { activityInProgress } from '../state/activities.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupRecord } from '../state/group-records.js';
import { createGroupStore } from '../state/group-store.js';
import type { ApiDeps } from './api-deps.js';
import { createGroupChecks } from './group-checks.js';
import { groupView } from './group-views.js';

type GroupApi = Pick<
  ServiceImpl<typeof AutoScalingService>,
  | 'createAutoScalingGroup'
  | 'updateAutoScalingGroup'
  | 'deleteAutoScalingGroup'
  | 'describeAutoScalingGroups'
  | 'attachLoadBalancerTargetGroups'
  | 'detachLoadBalancerTargetGroups'
>;

export function createGroupApi(deps: ApiDeps): GroupApi {
  const { store, now, settings } = deps;
  const groups = createGroupStore(store);
  const { checkLaunch, checkPlacement, checkTargetGroups, tagsOf } = createGroupChecks(deps);
  const inProgress = (group: GroupRecord) => activityInProgress(store, group);
  const nudge = (g: { accountId: string; name: string }) =>
    deps.nudge?.(autoscalingKeys.group(g.accountId, g.name));

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
      const launch = await checkLaunch(accountId, request.launchTemplate, request.launchConfigurationName);
      const placement = await checkPlacement(accountId, request.availabilityZones, request.vpcZoneIdentifier);
      await checkTargetGroups(accountId, request.targetGroupArns);
      const groupId = randomUUID();
      const name = request.autoScalingGroupName;
      const group: GroupRecord = {
        name,
        accountId,
        groupId,
        arn: `arn:aws:autoscaling:${settings.region}:${accountId}:autoScalingGroup:${groupId}:autoScalingGroupName/${name}`,
        ...launch,
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
      const switching = Boolean(
        request.launchConfigurationName ||
          request.launchTemplate?.launchTemplateId ||
          request.launchTemplate?.launchTemplateName,
      );
      const launch = switching
        ? await checkLaunch(accountId, request.launchTemplate, request.launchConfigurationName)
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
            // A new template or configuration replaces whichever the group had.
            ...(launch
              ? {
                  launchTemplate: launch.launchTemplate,
                  launchConfigurationName: launch.launchConfigurationName ?? '',
                }
              : {}),
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
  };
}
