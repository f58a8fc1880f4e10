/**
 * The lifecycle-policy controller: for each enabled policy, at each due time
 * of each schedule, a snapshot of every volume that carries all the policy's
 * target tags; then the schedule's snapshots beyond its retain rule are
 * deleted. It runs in one replica at a time (an etcd election, see
 * lifecycle-controllers.ts).
 *
 * A due snapshot is taken once, even when the process dies around it: before
 * starting any snapshot, the run's snapshot ids are recorded in the schedule's
 * run record (`pending`); a run found pending is finished with those same
 * ids (a snapshot id already recorded is not taken again), and only then is
 * the due time marked done. Due times missed while the service was down are
 * caught up with one snapshot, not one per missed time, as DLM does.
 */
import type { Reconcile } from '@nimbus/controller';
import { createRecords, newId, type Records, type StoredTag } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { SnapshotActions } from '../api/snapshot-api.js';
import { IdPrefix } from '../domain/ids.js';
import { cronClock, intervalClock, minuteOfDay, type ScheduleClock } from '../domain/lifecycle-schedule.js';
import { isStorageError, StorageErrorCode } from '../domain/storage-errors.js';
import type {
  LifecyclePolicyRecord,
  LifecycleRunRecord,
  RetainUnit,
  ScheduleSpec,
} from '../state/lifecycle-policy-records.js';
import type { SnapshotRecord } from '../state/snapshot-records.js';
import { storageKeys } from '../state/storage-keys.js';
import type { VolumeRecord } from '../state/volume-records.js';

export interface LifecycleControllerDeps {
  store: Store;
  logger: Logger;
  snapshots: SnapshotActions;
  /** The clock, epoch ms. */
  now: () => number;
  /** The longest wait, in real ms, before a policy is looked at again (so a test's clock may jump). */
  pollMs: number;
}

/** The tags DLM puts on the snapshots a policy takes (the first two name what they belong to). */
export const dlmTags = {
  policyId: 'aws:dlm:lifecycle-policy-id',
  scheduleName: 'aws:dlm:lifecycle-schedule-name',
  managed: 'dlm:managed',
} as const;

export function scheduleClock(schedule: ScheduleSpec, policy: LifecyclePolicyRecord): ScheduleClock {
  const rule = schedule.createRule;
  if ('cronExpression' in rule) return cronClock(rule.cronExpression);
  const created = new Date(policy.dateCreated);
  // Nimbus: without a start time, the grid starts at the minute the policy was created.
  const start = rule.times[0] === undefined ? undefined : minuteOfDay(rule.times[0]);
  return intervalClock(rule.interval, start ?? created.getUTCHours() * 60 + created.getUTCMinutes());
}

/** The time before which a schedule's snapshots are too old for its age rule. */
export function retainCutoff(now: number, interval: number, unit: RetainUnit): number {
  const date = new Date(now);
  switch (unit) {
    case 'DAYS':
      return now - interval * 86_400_000;
    case 'WEEKS':
      return now - interval * 7 * 86_400_000;
    case 'MONTHS':
      date.setUTCMonth(date.getUTCMonth() - interval);
      return date.getTime();
    case 'YEARS':
      date.setUTCFullYear(date.getUTCFullYear() - interval);
      return date.getTime();
  }
}

const hasTag = (tags: readonly StoredTag[], key: string, value: string) =>
  tags.some((t) => t.key === key && t.value === value);

function parsePolicyKey(key: string): { accountId: string; policyId: string } | undefined {
  const rest = key.slice(storageKeys.allLifecyclePolicies().length).split('/');
  if (!key.startsWith(storageKeys.allLifecyclePolicies()) || rest.length !== 2) return undefined;
  const [accountId = '', policyId = ''] = rest;
  return { accountId, policyId };
}

export function createLifecycleReconciler(deps: LifecycleControllerDeps): Reconcile {
  const { store, now } = deps;
  const policies = createRecords<LifecyclePolicyRecord>(store);
  const runs = createRecords<LifecycleRunRecord>(store);
  const volumes = createRecords<VolumeRecord>(store);
  const snapshotRecords = createRecords<SnapshotRecord>(store);

  const snapshotTags = (policy: LifecyclePolicyRecord, schedule: ScheduleSpec, volume: VolumeRecord) => {
    const byKey = new Map<string, string>();
    if (schedule.copyTags) {
      for (const t of volume.tags) if (!t.key.toLowerCase().startsWith('aws:')) byKey.set(t.key, t.value);
    }
    for (const t of schedule.tagsToAdd) byKey.set(t.key, t.value);
    byKey.set(dlmTags.policyId, policy.policyId);
    byKey.set(dlmTags.scheduleName, schedule.name);
    byKey.set(dlmTags.managed, 'true');
    return [...byKey].map(([key, value]) => ({ key, value }));
  };

  /** Starts each snapshot the pending run names (once), then marks its due time done. */
  const finishRun = async (
    policy: LifecyclePolicyRecord,
    schedule: ScheduleSpec,
    run: NonNullable<Awaited<ReturnType<Records<LifecycleRunRecord>['get']>>>,
  ) => {
    const pending = run.value.pending;
    if (!pending) return;
    const logger = deps.logger.child({ policyId: policy.policyId, schedule: schedule.name });
    for (const { volumeId, snapshotId } of pending.snapshots) {
      const volume = await volumes.get(storageKeys.volume(policy.ownerId, volumeId));
      if (!volume) continue;
      try {
        await deps.snapshots.start(policy.ownerId, volume, {
          snapshotId,
          description: `Created for policy: ${policy.policyId} schedule: ${schedule.name}`,
          tags: snapshotTags(policy, schedule, volume.value),
        });
      } catch (error) {
        // A volume gone or not in a state to snapshot is skipped; anything else (the 15-second rule) is tried again.
        if (
          isStorageError(error, StorageErrorCode.IncorrectState) ||
          isStorageError(error, StorageErrorCode.InvalidVolumeNotFound)
        ) {
          logger.warn({ volumeId, err: error }, 'lifecycle snapshot skipped');
          continue;
        }
        throw error;
      }
    }
    if (!(await runs.update(run, { lastDueMs: pending.dueMs }))) {
      throw new Error(`the run record of schedule '${schedule.name}' changed under the controller`);
    }
    logger.info(
      { dueAt: new Date(pending.dueMs).toISOString(), volumes: pending.snapshots.length },
      'lifecycle run done',
    );
  };

  const takeDue = async (
    policy: LifecyclePolicyRecord,
    schedule: ScheduleSpec,
    clock: ScheduleClock,
    targets: () => Promise<VolumeRecord[]>,
  ) => {
    const runKey = storageKeys.lifecycleRun(policy.ownerId, policy.policyId, schedule.name);
    let run = await runs.get(runKey);
    if (run?.value.pending) {
      await finishRun(policy, schedule, run);
      run = await runs.get(runKey);
    }
    const due = clock.latestAtOrBefore(now());
    const done = Math.max(run?.value.lastDueMs ?? Number.NEGATIVE_INFINITY, policy.activeSinceMs);
    if (due <= done) return;
    // The intent first: which volumes, under which snapshot ids.
    const intent: LifecycleRunRecord = {
      lastDueMs: run?.value.lastDueMs ?? 0,
      pending: {
        dueMs: due,
        snapshots: (await targets()).map((v) => ({
          volumeId: v.volumeId,
          snapshotId: newId(IdPrefix.snapshot),
        })),
      },
    };
    const written = run ? await runs.update(run, intent) : await runs.create(runKey, intent);
    if (!written)
      throw new Error(`the run record of schedule '${schedule.name}' changed under the controller`);
    const recorded = await runs.get(runKey);
    if (recorded) await finishRun(policy, schedule, recorded);
  };

  const prune = async (policy: LifecyclePolicyRecord, schedule: ScheduleSpec) => {
    const mine = (await snapshotRecords.list(storageKeys.snapshots(policy.ownerId)))
      .map((r) => r.value)
      .filter(
        (s) =>
          hasTag(s.tags, dlmTags.policyId, policy.policyId) &&
          hasTag(s.tags, dlmTags.scheduleName, schedule.name),
      );
    const expired: SnapshotRecord[] = [];
    const rule = schedule.retainRule;
    if ('count' in rule) {
      const byVolume = new Map<string, SnapshotRecord[]>();
      for (const s of mine) byVolume.set(s.volumeId, [...(byVolume.get(s.volumeId) ?? []), s]);
      for (const list of byVolume.values()) {
        list.sort(
          (a, b) => b.startTime.localeCompare(a.startTime) || b.snapshotId.localeCompare(a.snapshotId),
        );
        expired.push(...list.slice(rule.count));
      }
    } else {
      const cutoff = retainCutoff(now(), rule.interval, rule.intervalUnit);
      expired.push(...mine.filter((s) => Date.parse(s.startTime) < cutoff));
    }
    for (const s of expired) {
      // A pending snapshot goes once it has settled (a later look).
      if (s.state === 'pending') continue;
      try {
        await deps.snapshots.delete(policy.ownerId, s.snapshotId);
      } catch (error) {
        if (isStorageError(error, StorageErrorCode.InvalidSnapshotNotFound)) continue;
        if (isStorageError(error, StorageErrorCode.InvalidSnapshotInUse)) {
          deps.logger.info({ snapshotId: s.snapshotId }, 'lifecycle snapshot kept: an image uses it');
          continue;
        }
        throw error;
      }
    }
  };

  return async (key) => {
    const names = parsePolicyKey(key);
    if (!names) return undefined;
    const policy = await policies.get(key);
    if (!policy) {
      // Deleted: forget its runs (its snapshots stay, as in DLM).
      for (const run of await runs.list(storageKeys.lifecycleRuns(names.accountId, names.policyId))) {
        await runs.delete(run);
      }
      return undefined;
    }
    if (policy.value.state !== 'ENABLED') return undefined;
    let targeted: VolumeRecord[] | undefined;
    const targets = async () => {
      targeted ??= (await volumes.list(storageKeys.volumes(policy.value.ownerId)))
        .map((r) => r.value)
        .filter(
          (v) =>
            (v.state === 'available' || v.state === 'in-use') &&
            policy.value.policyDetails.targetTags.every((t) => hasTag(v.tags, t.key, t.value)),
        );
      return targeted;
    };
    let nextDue = Number.POSITIVE_INFINITY;
    for (const schedule of policy.value.policyDetails.schedules) {
      const clock = scheduleClock(schedule, policy.value);
      await takeDue(policy.value, schedule, clock, targets);
      await prune(policy.value, schedule);
      nextDue = Math.min(nextDue, clock.nextAfter(now()));
    }
    return { requeueAfterMs: Math.max(0, Math.min(nextDue - now(), deps.pollMs)) };
  };
}

/** Deletes the run records of policies that are gone (deleted while no controller ran), as a deletion seen does. */
export async function forgetOrphanRuns(store: Store): Promise<number> {
  const root = storageKeys.allLifecycleRuns();
  let forgotten = 0;
  for (const kv of (await store.list(root)).items) {
    const [accountId = '', policyId = ''] = kv.key.slice(root.length).split('/');
    if (await store.get(storageKeys.lifecyclePolicy(accountId, policyId))) continue;
    if ((await store.delete(kv.key, kv.modRevision)).ok) forgotten++;
  }
  return forgotten;
}
