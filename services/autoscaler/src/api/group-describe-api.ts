/** DescribeAutoScalingInstances and DescribeScalingActivities (newest first). */
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, pageOf, resolveMaxResults } from '@nimbus/service-kit';
import { groupNotFound } from '../domain/autoscaling-errors.js';
import type { ActivityRecord } from '../state/activity-records.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import { createGroupStore } from '../state/group-store.js';
import type { ApiDeps } from './api-deps.js';
import { activityView, instanceDetailsView } from './group-views.js';

type GroupDescribeApi = Pick<
  ServiceImpl<typeof AutoScalingService>,
  'describeAutoScalingInstances' | 'describeScalingActivities'
>;

export function createGroupDescribeApi(deps: ApiDeps): GroupDescribeApi {
  const groups = createGroupStore(deps.store);
  const activities = createRecords<ActivityRecord>(deps.store);

  return {
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
  };
}
