/**
 * AttachInstances and DetachInstances: running instances join a group as
 * InService members (desired grows by their number), or leave it running
 * (deregistered from its target groups first), with an activity each.
 */
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords } from '@nimbus/service-kit';
import { groupNotFound, missingParameter, validationError } from '../domain/autoscaling-errors.js';
import { newActivity } from '../state/activities.js';
import { type ActivityRecord, causeTime } from '../state/activity-records.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupMember, GroupRecord } from '../state/group-records.js';
import { createGroupStore } from '../state/group-store.js';
import type { ApiDeps } from './api-deps.js';
import { activityView } from './group-views.js';

type InstanceMembershipApi = Pick<
  ServiceImpl<typeof AutoScalingService>,
  'attachInstances' | 'detachInstances'
>;

const maxInstances = 20;

export function createInstanceMembershipApi(deps: ApiDeps): InstanceMembershipApi {
  const { store, now } = deps;
  const groups = createGroupStore(store);
  const allGroups = createRecords<GroupRecord>(store);
  const nudge = (g: GroupRecord) => deps.nudge?.(autoscalingKeys.group(g.accountId, g.name));

  const checkIds = (ids: readonly string[]) => {
    if (ids.length === 0) throw missingParameter('InstanceIds');
    if (ids.length > maxInstances)
      throw validationError(`At most ${maxInstances} instances may be given at once.`);
  };

  return {
    async attachInstances(request, { accountId }) {
      const ids = [...new Set(request.instanceIds)];
      checkIds(ids);
      const name = request.autoScalingGroupName;
      const current = await groups.require(accountId, name);
      const views = await deps.compute.describe(accountId, { instanceIds: ids, clientTokens: [] });
      for (const id of ids) {
        const view = views.find((v) => v.instanceId === id);
        if (!view) throw validationError(`Instance ${id} does not exist`);
        if (view.state !== 'running')
          throw validationError(`Instance ${id} is not in correct state (${view.state}).`);
        if (!current.value.availabilityZones.includes(view.zone)) {
          throw validationError(
            `Instance ${id} is in ${view.zone}, which is not a zone of the group ${name}.`,
          );
        }
      }
      for (const other of await allGroups.list(autoscalingKeys.groups(accountId))) {
        const member = other.value.members.find((m) => ids.includes(m.instanceId));
        if (member) {
          throw validationError(
            `The instance ${member.instanceId} is already part of the Auto Scaling group ${other.value.name}.`,
          );
        }
      }
      await groups.mutate(
        current.key,
        ({ value: g }) => {
          const desired = g.desiredCapacity + ids.length;
          if (desired > g.maxSize) {
            throw validationError(
              `AutoScalingGroup: ${name} has min-size=${g.minSize}, max-size=${g.maxSize}, and desired-size=${g.desiredCapacity}. To add ${ids.length} instance(s) would exceed max-size.`,
            );
          }
          const at = now();
          const creates = [];
          const members: GroupMember[] = [...g.members];
          let nextSlot = g.nextSlot;
          for (const id of ids) {
            const view = views.find((v) => v.instanceId === id);
            const made = newActivity(
              g,
              {
                description: `Attaching an existing EC2 instance: ${id}`,
                cause: `At ${causeTime(at)} an instance was added in response to a user request, increasing the capacity from ${g.desiredCapacity} to ${desired}.`,
                statusCode: 'Successful',
                progress: 100,
                details: { 'Availability Zone': view?.zone ?? '' },
              },
              at,
            );
            made.record.endTime = at;
            creates.push({ ...made.op, value: JSON.stringify(made.record) });
            members.push({
              slot: nextSlot++,
              clientToken: '',
              launch: null,
              zone: view?.zone ?? '',
              instanceId: id,
              instanceType: view?.instanceType ?? '',
              // Not launched from a template: it counts as the oldest under OldestLaunchTemplate.
              launchTemplateId: '',
              launchTemplateName: '',
              launchTemplateVersion: 0,
              lifecycleState: 'InService',
              healthStatus: 'Healthy',
              protectedFromScaleIn: g.newInstancesProtectedFromScaleIn,
              launchedAt: at,
              activityId: made.record.activityId,
              activityKey: made.key,
              registeredWith: [],
            });
          }
          return {
            group: { ...g, members, nextSlot, desiredCapacity: desired },
            ops: creates,
            result: undefined,
          };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return {};
    },

    async detachInstances(request, { accountId }) {
      const ids = [...new Set(request.instanceIds)];
      checkIds(ids);
      const name = request.autoScalingGroupName;
      const current = await groups.require(accountId, name);
      const leaving = ids.map((id) => {
        const member = current.value.members.find(
          (m) => m.instanceId === id && m.lifecycleState !== 'Terminating',
        );
        if (!member) throw validationError(`The instance ${id} is not part of Auto Scaling group ${name}.`);
        return member;
      });
      const decrement = request.shouldDecrementDesiredCapacity;
      if (decrement && current.value.desiredCapacity - ids.length < current.value.minSize) {
        throw validationError(
          `Detaching ${ids.length} instance(s) with ShouldDecrementDesiredCapacity would take the desired capacity below the min size (${current.value.minSize}).`,
        );
      }
      for (const m of leaving) {
        for (const arn of m.registeredWith)
          await deps.loadBalancers?.deregister(accountId, arn, m.instanceId);
      }
      const activities = await groups.mutate(
        current.key,
        ({ value: g }) => {
          const at = now();
          const desired = decrement ? g.desiredCapacity - ids.length : g.desiredCapacity;
          if (desired < g.minSize)
            throw validationError(`The desired capacity cannot go below the min size (${g.minSize}).`);
          const made = ids.map((id) =>
            newActivity(
              g,
              {
                description: `Detaching EC2 instance: ${id}`,
                cause: decrement
                  ? `At ${causeTime(at)} instance ${id} was detached in response to a user request, shrinking the capacity from ${g.desiredCapacity} to ${desired}.`
                  : `At ${causeTime(at)} instance ${id} was detached in response to a user request.`,
                statusCode: 'Successful',
                progress: 100,
                details: {},
              },
              at,
            ),
          );
          for (const m of made) m.record.endTime = at;
          return {
            group: {
              ...g,
              members: g.members.filter((m) => !ids.includes(m.instanceId)),
              desiredCapacity: desired,
            },
            ops: made.map((m) => ({ ...m.op, value: JSON.stringify(m.record) })),
            result: made.map((m) => m.record as ActivityRecord),
          };
        },
        () => groupNotFound(name),
      );
      nudge(current.value);
      return { activities: activities.map(activityView) };
    },
  };
}
