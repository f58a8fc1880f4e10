import type { StoredTag } from '@nimbus/service-kit';

/** A lifecycle policy (DLM) as stored; the controller reads it, the API alone writes it. */
export interface LifecyclePolicyRecord {
  policyId: string;
  ownerId: string;
  description: string;
  state: LifecyclePolicyState;
  executionRoleArn: string;
  dateCreated: string;
  dateModified: string;
  policyDetails: PolicyDetailsSpec;
  tags: Record<string, string>;
  /**
   * Epoch ms since which the schedules run as they are now: set at creation,
   * when the policy is enabled again and when its details change, so that
   * times missed while disabled or under the old rules are not caught up.
   */
  activeSinceMs: number;
}

export type LifecyclePolicyState = 'ENABLED' | 'DISABLED';

export interface PolicyDetailsSpec {
  policyType: 'EBS_SNAPSHOT_MANAGEMENT';
  resourceTypes: 'VOLUME'[];
  targetTags: StoredTag[];
  schedules: ScheduleSpec[];
}

export interface ScheduleSpec {
  name: string;
  copyTags: boolean;
  tagsToAdd: StoredTag[];
  /** Either an interval of hours (with an optional start time) or a cron expression. */
  createRule: { interval: number; times: string[] } | { cronExpression: string };
  /** Either a count of snapshots per volume or an age. */
  retainRule: { count: number } | { interval: number; intervalUnit: RetainUnit };
}

export type RetainUnit = 'DAYS' | 'WEEKS' | 'MONTHS' | 'YEARS';

/**
 * A schedule's memory, so that a due snapshot is taken once: `lastDueMs` is
 * the last due time handled; `pending` is a run whose snapshot ids were
 * recorded before any snapshot was started, so that after a crash the run is
 * finished with the same ids instead of being taken again.
 */
export interface LifecycleRunRecord {
  lastDueMs: number;
  pending?: { dueMs: number; snapshots: { volumeId: string; snapshotId: string }[] };
}
