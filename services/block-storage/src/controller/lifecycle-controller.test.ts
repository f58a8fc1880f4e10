import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { CreateLifecyclePolicyRequestSchema } from '@nimbus/api/gen/nimbus/storage/v1/lifecycle_policy_pb';
import type { Snapshot } from '@nimbus/api/gen/nimbus/storage/v1/snapshot_pb';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import type { LifecycleRunRecord } from '../state/lifecycle-policy-records.js';
import { storageKeys } from '../state/storage-keys.js';
import { accountA, useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

// The service's clock: the tests move it an hour at a time, and the controller looks every 50 ms.
let clock = Date.parse('2026-01-01T10:00:30Z');
const bs = useBlockStorageUnderTest({ now: () => clock, volumeFilesystem: 'none', lifecyclePollMs: 50 });
const hourMs = 3_600_000;
const slow = { timeoutMs: 60_000, intervalMs: 100 };

async function availableVolume(tags: Record<string, string>) {
  const { volume } = await bs.client.createVolume({
    availabilityZone: 'nimbus-1a',
    size: 1,
    tagSpecifications: [
      { resourceType: 'volume', tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
    ],
  });
  const id = volume?.volumeId ?? '';
  await waitUntil(
    async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
    { ...slow, message: `${id} available` },
  );
  return id;
}

async function snapshotsOf(policyId: string): Promise<Snapshot[]> {
  return (
    await bs.client.describeSnapshots({
      ownerIds: ['self'],
      filters: [{ name: 'tag:aws:dlm:lifecycle-policy-id', values: [policyId] }],
    })
  ).snapshots;
}

const startOf = (s: Snapshot) => (s.startTime ? timestampDate(s.startTime).toISOString() : '');

function policy(tag: string, createRule: Record<string, unknown>, retainRule: Record<string, unknown>) {
  return {
    description: `test ${tag}`,
    state: 'ENABLED',
    policyDetails: {
      resourceTypes: ['VOLUME'],
      targetTags: [{ key: 'backup', value: tag }],
      schedules: [
        {
          name: 'main',
          copyTags: true,
          tagsToAdd: [{ key: 'made-by', value: 'dlm' }],
          createRule,
          retainRule,
        },
      ],
    } as MessageInitShape<typeof CreateLifecyclePolicyRequestSchema>['policyDetails'],
  };
}

describe('the lifecycle-policy controller', () => {
  it('runs a day of a 6-hour schedule: a snapshot of each targeted volume on time, the newest 2 kept', async () => {
    const tagged = [
      await availableVolume({ backup: 'daily', Name: 'data' }),
      await availableVolume({ backup: 'daily' }),
    ];
    const untagged = await availableVolume({ backup: 'never' });
    const { policyId } = await bs.client.createLifecyclePolicy(
      policy('daily', { interval: 6, intervalUnit: 'HOURS', times: ['00:00'] }, { count: 2 }),
    );
    const dueSteps: string[] = [];
    // 10:00:30 to 10:00:30 the next day, an hour at a time: due at 12, 18, 0 and 6 o'clock.
    for (let step = 1; step <= 24; step++) {
      clock += hourMs;
      const now = new Date(clock);
      if (now.getUTCHours() % 6 !== 0) continue;
      const iso = now.toISOString();
      dueSteps.push(iso);
      await waitUntil(
        async () => {
          const taken = (await snapshotsOf(policyId)).filter((s) => startOf(s) === iso);
          return tagged.every((v) => taken.some((s) => s.volumeId === v));
        },
        { ...slow, message: `the snapshots due at ${iso}` },
      );
    }
    expect(dueSteps).toHaveLength(4);
    const kept = dueSteps.slice(-2);
    await waitUntil(
      async () => {
        const all = await snapshotsOf(policyId);
        return (
          all.length === 4 &&
          all.every(
            (s) => s.state === 'completed' && kept.includes(startOf(s)) && tagged.includes(s.volumeId),
          )
        );
      },
      { ...slow, message: 'the newest 2 snapshots of each volume, and no others' },
    );

    const all = await snapshotsOf(policyId);
    expect(all.some((s) => s.volumeId === untagged)).toBe(false);
    const first = all.find((s) => s.volumeId === tagged[0]);
    expect(first?.description).toBe(`Created for policy: ${policyId} schedule: main`);
    expect(Object.fromEntries((first?.tags ?? []).map((t) => [t.key, t.value]))).toEqual({
      backup: 'daily',
      Name: 'data',
      'made-by': 'dlm',
      'aws:dlm:lifecycle-policy-id': policyId,
      'aws:dlm:lifecycle-schedule-name': 'main',
      'dlm:managed': 'true',
    });

    // Disabled, it takes no more snapshots (while another policy, on the untagged volume, does); deleted, its snapshots stay.
    await bs.client.updateLifecyclePolicy({ policyId, state: 'DISABLED' });
    const other = await bs.client.createLifecyclePolicy(policy('never', { interval: 1 }, { count: 1 }));
    clock += 4 * hourMs;
    await waitUntil(async () => (await snapshotsOf(other.policyId)).length === 1, {
      ...slow,
      message: 'the other policy at work',
    });
    await bs.client.deleteLifecyclePolicy({ policyId });
    expect((await snapshotsOf(policyId)).map(startOf).sort()).toEqual([...kept, ...kept].sort());
    await bs.client.deleteLifecyclePolicy({ policyId: other.policyId });
  });

  it('takes a due snapshot once across a restart (forgetting the runs of deleted policies), and finishes a run a crash left half done with its recorded ids', async () => {
    clock = Date.parse('2026-02-01T00:30:00Z');
    const volumes = [
      await availableVolume({ backup: 'hourly' }),
      await availableVolume({ backup: 'hourly' }),
    ];
    const { policyId } = await bs.client.createLifecyclePolicy(
      policy('hourly', { interval: 1 }, { interval: 1, intervalUnit: 'DAYS' }),
    );
    const runKey = storageKeys.lifecycleRun(accountA, policyId, 'main');
    const takenAt = async (iso: string) => (await snapshotsOf(policyId)).filter((s) => startOf(s) === iso);

    clock += hourMs;
    const firstDue = new Date(clock).toISOString();
    await waitUntil(async () => (await takenAt(firstDue)).length === 2, {
      ...slow,
      message: 'the first run',
    });
    const firstRun = (await takenAt(firstDue)).map((s) => s.snapshotId).sort();

    // A restart within the same hour takes nothing again; and it forgets the runs of a policy deleted
    // while no controller ran.
    const orphan = storageKeys.lifecycleRun(accountA, 'policy-00000000000000000', 'gone');
    await bs.store.create(orphan, JSON.stringify({ lastDueMs: 0 }));
    await bs.restart();
    await waitUntil(async () => (await bs.store.get(orphan)) === undefined, {
      ...slow,
      message: 'the orphan run forgotten',
    });
    clock += 60_000;
    // As if the process died after recording the next run and starting one of its two snapshots: the run
    // record names both ids, only the first exists. Then the clock passes that run's due time.
    clock += hourMs;
    const secondDue = new Date(clock).toISOString();
    await waitUntil(async () => (await takenAt(secondDue)).length === 2, {
      ...slow,
      message: 'the second run',
    });
    await waitUntil(async () => (await takenAt(secondDue)).every((s) => s.state === 'completed'), slow);
    const second = await takenAt(secondDue);
    const stored = await bs.store.get(runKey);
    const run = JSON.parse(stored?.value ?? '{}') as LifecycleRunRecord;
    expect(run.pending).toBeUndefined();
    await bs.client.deleteSnapshot({ snapshotId: second[1]?.snapshotId ?? '' });
    const crashed: LifecycleRunRecord = {
      lastDueMs: Date.parse(firstDue),
      pending: {
        dueMs: Date.parse(secondDue) - 60_000,
        snapshots: [
          { volumeId: second[0]?.volumeId ?? '', snapshotId: second[0]?.snapshotId ?? '' },
          { volumeId: second[1]?.volumeId ?? '', snapshotId: second[1]?.snapshotId ?? '' },
        ],
      },
    };
    expect((await bs.store.update(runKey, JSON.stringify(crashed), stored?.modRevision ?? 0)).ok).toBe(true);
    // Past the 15-second rule for the volume whose snapshot is taken again.
    clock += 16_000;
    await waitUntil(
      async () =>
        (await bs.client
          .describeSnapshots({ snapshotIds: [second[1]?.snapshotId ?? ''] })
          .catch(() => undefined)) !== undefined,
      { ...slow, message: 'the missing snapshot of the half-done run, under its recorded id' },
    );
    await waitUntil(
      async () => JSON.parse((await bs.store.get(runKey))?.value ?? '{}').pending === undefined,
      {
        ...slow,
        message: 'the run marked done',
      },
    );

    const all = await snapshotsOf(policyId);
    expect(
      all
        .filter((s) => startOf(s) === firstDue)
        .map((s) => s.snapshotId)
        .sort(),
    ).toEqual(firstRun);
    // Each volume: one snapshot of the first run, one of the second (the finished half-done run made no third).
    for (const volumeId of volumes) expect(all.filter((s) => s.volumeId === volumeId)).toHaveLength(2);
    expect(all.map((s) => s.snapshotId).sort()).toEqual(
      [...firstRun, ...second.map((s) => s.snapshotId)].sort(),
    );

    // Retained one day: a day and an hour later only the latest run's snapshots are left.
    clock += 25 * hourMs;
    const lastRun = new Date(clock).toISOString();
    await waitUntil(
      async () => {
        const left = await snapshotsOf(policyId);
        return left.length === 2 && left.every((s) => startOf(s) === lastRun);
      },
      { ...slow, message: 'the snapshots older than a day deleted, the new one kept' },
    );
    await bs.client.deleteLifecyclePolicy({ policyId });
  });
});
