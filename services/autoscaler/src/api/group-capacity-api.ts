/**
 * Auto Scaling's actions on a group's capacity and instances: desired
 * capacity (with HonorCooldown), terminating one instance (its member marked
 * Terminating with its activity in one transaction; the controller does the
 * rest), scale-in protection, and suspending processes.
 */
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords } from '@nimbus/service-kit';
import {
  groupNotFound,
  missingParameter,
  scalingActivityInProgress,
  validationError,
} from '../domain/autoscaling-errors.js';
import { processesOf } from '../domain/process-names.js';
import { activityInProgress, newActivity } from '../state/activities.js';
import { type ActivityRecord, causeTime } from '../state/activity-records.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupRecord } from '../state/group-records.js';
import { createGroupStore } from '../state/group-store.js';
import type { ApiDeps } from './api-deps.js';
import { activityView } from './group-views.js';

type GroupCapacityApi = Pick<
  ServiceImpl<typeof AutoScalingService>,
  | 'setDesiredCapacity'
  | 'terminateInstanceInAutoScalingGroup'
  | 'setInstanceProtection'
  | 'suspendProcesses'
  | 'resumeProcesses'
>;

export function createGroupCapacityApi(deps: ApiDeps): GroupCapacityApi {
  const { store, now } = deps;
  const groups = createGroupStore(store);
  const activities = createRecords<ActivityRecord>(store);
  const inProgress = (group: GroupRecord) => activityInProgress(store, group);
  const nudge = (g: { accountId: string; name: string }) =>
    deps.nudge?.(autoscalingKeys.group(g.accountId, g.name));

  const findMember = async (accountId: string, instanceId: string) => {
    for (const g of await groups.groups.list(autoscalingKeys.groups(accountId))) {
      if (g.value.members.some((m) => m.instanceId === instanceId)) return g;
    }
    throw validationError(`Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
  };

  return {
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
