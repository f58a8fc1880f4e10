/**
 * Writing scaling activities. A new activity is a create operation handed to
 * the caller, to commit in the same transaction as the group change it
 * records (a member written or marked Terminating); its later progress is a
 * compare-and-swap update of the activity alone.
 */
import { randomUUID } from 'node:crypto';
import { createRecords } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { type ActivityRecord, type ActivityStatus, finishedStatuses } from './activity-records.js';
import { autoscalingKeys } from './autoscaling-keys.js';
import type { GroupRecord } from './group-records.js';

export interface NewActivity {
  key: string;
  record: ActivityRecord;
  op: TxnOp;
}

export function newActivity(
  group: Pick<GroupRecord, 'accountId' | 'name' | 'arn'>,
  fields: {
    description: string;
    cause: string;
    statusCode: ActivityStatus;
    progress: number;
    details: Record<string, string>;
  },
  now: number,
): NewActivity {
  const record: ActivityRecord = {
    activityId: randomUUID(),
    accountId: group.accountId,
    groupName: group.name,
    groupArn: group.arn,
    startTime: now,
    statusMessage: '',
    ...fields,
  };
  const key = autoscalingKeys.activity(group.accountId, group.name, now, record.activityId);
  return { key, record, op: { type: 'create', key, value: JSON.stringify(record) } };
}

export interface ActivityChange {
  statusCode?: ActivityStatus;
  statusMessage?: string;
  progress?: number;
  description?: string;
  details?: Record<string, string>;
}

/** Moves an activity on; a finished one stays as it ended. */
export async function updateActivity(
  store: Store,
  key: string,
  change: ActivityChange,
  now: number,
): Promise<void> {
  const activities = createRecords<ActivityRecord>(store);
  for (;;) {
    const current = await activities.get(key);
    if (!current || finishedStatuses.has(current.value.statusCode)) return;
    const next: ActivityRecord = {
      ...current.value,
      ...change,
      details: { ...current.value.details, ...change.details },
    };
    if (change.statusCode && finishedStatuses.has(change.statusCode)) {
      next.endTime = now;
      next.progress = 100;
    }
    if (await activities.update(current, next)) return;
  }
}

/** Whether an activity of this group (not of an earlier group of the same name) is still under way. */
export async function activityInProgress(
  store: Store,
  group: Pick<GroupRecord, 'accountId' | 'name' | 'arn'>,
) {
  const activities = createRecords<ActivityRecord>(store);
  return (await activities.list(autoscalingKeys.groupActivities(group.accountId, group.name))).some(
    (a) => a.value.groupArn === group.arn && !finishedStatuses.has(a.value.statusCode),
  );
}
