import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '@nimbus/api/gen/nimbus/storage/v1/snapshot_pb';
import { errorCode, refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { storageKeys } from '../state/storage-keys.js';
import { accountA, accountB, useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

// The service's clock runs this far ahead of the real one; tests move it past the 15-second rule.
let skewMs = 0;
// Blank volumes of zeros, so that a snapshot's sizes are exactly the bytes the test wrote.
const bs = useBlockStorageUnderTest({ now: () => Date.now() + skewMs, volumeFilesystem: 'none' });
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const fileOf = (volumeId: string) => join(bs.storageRoot, 'volumes', `${volumeId}.img`);
const laterThan15s = () => {
  skewMs += 16_000;
};

async function availableVolume(request: Parameters<typeof bs.client.createVolume>[0]) {
  const { volume } = await bs.client.createVolume(request);
  const id = volume?.volumeId ?? '';
  await waitUntil(
    async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
    { message: `${id} available` },
  );
  return id;
}

/** Writes bytes into the volume's file, as the instance it is attached to would. */
async function writeInto(volumeId: string, offset: number, data: Buffer) {
  const file = await open(fileOf(volumeId), 'r+');
  try {
    await file.write(data, 0, data.length, offset);
  } finally {
    await file.close();
  }
}

async function checksum(volumeId: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(fileOf(volumeId), { highWaterMark: 8 * MiB })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function describeOne(snapshotId: string): Promise<Snapshot | undefined> {
  return (await bs.client.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots[0];
}

async function completed(snapshotId: string): Promise<Snapshot> {
  return waitUntil(
    async () => {
      const snapshot = await describeOne(snapshotId);
      if (snapshot?.state === 'error') throw new Error(`snapshot failed: ${snapshot.stateMessage}`);
      return snapshot?.state === 'completed' ? snapshot : undefined;
    },
    { message: `${snapshotId} completed`, timeoutMs: 30_000 },
  );
}

async function restored(snapshotId: string, size?: number): Promise<string> {
  const { volume } = await bs.client.createVolume({
    availabilityZone: 'nimbus-1a',
    snapshotId,
    ...(size ? { size } : {}),
  });
  expect(volume).toMatchObject({ state: 'creating', snapshotId });
  const id = volume?.volumeId ?? '';
  await waitUntil(
    async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
    { message: `${id} restored`, timeoutMs: 30_000 },
  );
  return id;
}

describe('snapshots over gRPC', () => {
  it('takes incremental snapshots that restore the exact bytes, and deletes them in any order', async () => {
    const events: string[] = [];
    const subscription = await bs.bus.subscribe({
      durable: 'snapshot-test',
      subjects: ['nimbus.storage.snapshot.completed'],
      handler: async ({ event }) => {
        events.push(event.resourceId);
      },
    });
    const source = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    await writeInto(source, 0, randomBytes(20 * MiB));
    await writeInto(source, 700 * MiB, randomBytes(MiB / 2));
    const atFirst = await checksum(source);

    const { snapshot } = await bs.client.createSnapshot({
      volumeId: source,
      description: 'before the change',
      tagSpecifications: [{ resourceType: 'snapshot', tags: [{ key: 'Name', value: 'first' }] }],
    });
    expect(snapshot).toMatchObject({ state: 'pending', progress: '0%', volumeId: source, volumeSize: 1 });
    expect(snapshot?.snapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    const first = snapshot?.snapshotId ?? '';
    expect(await refusal(bs.client.createSnapshot({ volumeId: source }))).toMatchObject({
      code: 'SnapshotCreationPerVolumeRateExceeded',
    });
    expect(await completed(first)).toMatchObject({
      progress: '100%',
      description: 'before the change',
      ownerId: accountA,
      tags: [{ key: 'Name', value: 'first' }],
      fullSnapshotSizeInBytes: BigInt(20 * MiB + MiB),
      incrementalSizeInBytes: BigInt(20 * MiB + MiB),
    });

    // 1% of the volume changes: about 10 MiB in ten 1 MiB blocks.
    await writeInto(source, 4 * MiB, randomBytes(10 * MiB));
    const atSecond = await checksum(source);
    expect(await errorCode(bs.client.createSnapshot({ volumeId: source }))).toBe(
      'SnapshotCreationPerVolumeRateExceeded',
    );
    laterThan15s();
    const second = (await bs.client.createSnapshot({ volumeId: source })).snapshot?.snapshotId ?? '';
    const done = await completed(second);
    expect(done.fullSnapshotSizeInBytes).toBe(BigInt(21 * MiB));
    expect(done.incrementalSizeInBytes).toBe(BigInt(10 * MiB));
    expect(Number(done.incrementalSizeInBytes) / GiB).toBeCloseTo(0.01, 2);

    expect(await checksum(await restored(first))).toBe(atFirst);
    const bigger = await restored(second, 2);
    expect((await stat(fileOf(bigger))).size).toBe(2 * GiB);
    const head = createHash('sha256');
    for await (const chunk of createReadStream(fileOf(bigger), { end: GiB - 1, highWaterMark: 8 * MiB })) {
      head.update(chunk as Buffer);
    }
    expect(head.digest('hex')).toBe(atSecond);

    const { snapshotId: copy } = await bs.client.copySnapshot({ sourceSnapshotId: second });
    expect(await completed(copy)).toMatchObject({
      volumeId: source,
      fullSnapshotSizeInBytes: BigInt(21 * MiB),
      incrementalSizeInBytes: 0n,
    });

    await bs.client.deleteSnapshot({ snapshotId: first });
    expect(await errorCode(bs.client.describeSnapshots({ snapshotIds: [first] }))).toBe(
      'InvalidSnapshot.NotFound',
    );
    expect(await checksum(await restored(second))).toBe(atSecond);
    await bs.client.deleteSnapshot({ snapshotId: second });
    expect(await checksum(await restored(copy))).toBe(atSecond);
    await bs.client.deleteSnapshot({ snapshotId: copy });
    expect(await errorCode(bs.client.deleteSnapshot({ snapshotId: copy }))).toBe('InvalidSnapshot.NotFound');

    await waitUntil(() => [first, second, copy].every((id) => events.includes(id)), {
      message: 'snapshot completed events',
    });
    await subscription.close();
  });

  it('refuses what EC2 refuses, and keeps accounts apart', async () => {
    const volume = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    await writeInto(volume, 0, randomBytes(MiB));
    expect(await errorCode(bs.client.createSnapshot({ volumeId: volume, dryRun: true }))).toBe(
      'DryRunOperation',
    );
    const id = (await bs.client.createSnapshot({ volumeId: volume })).snapshot?.snapshotId ?? '';
    await completed(id);

    expect(await errorCode(bs.client.createSnapshot({ volumeId: 'vol-0123456789abcdef0' }))).toBe(
      'InvalidVolume.NotFound',
    );
    expect(await errorCode(bs.client.createSnapshot({ volumeId: '' }))).toBe('MissingParameter');
    expect(await errorCode(bs.client.describeSnapshots({ snapshotIds: ['snap-123'] }))).toBe(
      'InvalidSnapshotID.Malformed',
    );
    expect(await errorCode(bs.client.deleteSnapshot({ snapshotId: 'snap-0123456789abcdef0' }))).toBe(
      'InvalidSnapshot.NotFound',
    );
    expect(await errorCode(bs.client.deleteSnapshot({ snapshotId: 'snap-x' }))).toBe(
      'InvalidSnapshotID.Malformed',
    );
    expect(
      await errorCode(bs.client.copySnapshot({ sourceSnapshotId: id, sourceRegion: 'elsewhere-1' })),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(
        bs.client.createVolume({ availabilityZone: 'nimbus-1a', snapshotId: 'snap-0123456789abcdef0' }),
      ),
    ).toBe('InvalidSnapshot.NotFound');

    const big = await availableVolume({ availabilityZone: 'nimbus-1a', size: 3 });
    const bigSnapshot = (await bs.client.createSnapshot({ volumeId: big })).snapshot?.snapshotId ?? '';
    await completed(bigSnapshot);
    expect(
      await refusal(
        bs.client.createVolume({ availabilityZone: 'nimbus-1a', snapshotId: bigSnapshot, size: 2 }),
      ),
    ).toEqual({
      code: 'InvalidParameterValue',
      message: `Volume of 2GiB is too small for snapshot '${bigSnapshot}'; minimum is 3GiB`,
    });
    const fromBig = await restored(bigSnapshot);
    expect((await bs.client.describeVolumes({ volumeIds: [fromBig] })).volumes[0]?.size).toBe(3);

    expect((await bs.otherAccount.describeSnapshots({})).snapshots).toEqual([]);
    expect((await bs.otherAccount.describeSnapshots({ ownerIds: [accountA] })).snapshots).toEqual([]);
    for (const call of [
      () => bs.otherAccount.describeSnapshots({ snapshotIds: [id] }),
      () => bs.otherAccount.deleteSnapshot({ snapshotId: id }),
      () => bs.otherAccount.copySnapshot({ sourceSnapshotId: id }),
      () => bs.otherAccount.createVolume({ availabilityZone: 'nimbus-1a', snapshotId: id }),
    ]) {
      expect(await errorCode(call())).toBe('InvalidSnapshot.NotFound');
    }
    expect(await errorCode(bs.otherAccount.createSnapshot({ volumeId: volume }))).toBe(
      'InvalidVolume.NotFound',
    );
    expect((await describeOne(id))?.state).toBe('completed');

    // Naming the snapshot's owner is for Nimbus services only: compute, making B's root volume from A's image.
    const forB = { availabilityZone: 'nimbus-1a', snapshotId: id, snapshotOwnerId: accountA };
    expect(await refusal(bs.otherAccount.createVolume(forB))).toEqual({
      code: 'InvalidParameterValue',
      message: "Only Nimbus services may make a volume from another account's snapshot (SnapshotOwnerId).",
    });
    const made = (await bs.asService.createVolume(forB, { accountId: accountB })).volume;
    expect(made).toMatchObject({ ownerId: accountB, snapshotId: id, size: 1 });
    await waitUntil(
      async () =>
        (await bs.otherAccount.describeVolumes({ volumeIds: [made?.volumeId ?? ''] })).volumes[0]?.state ===
        'available',
      { timeoutMs: 20_000 },
    );
    expect(await errorCode(bs.client.describeVolumes({ volumeIds: [made?.volumeId ?? ''] }))).toBe(
      'InvalidVolume.NotFound',
    );
    expect(await checksum(made?.volumeId ?? '')).toBe(await checksum(volume));
  });

  it('filters by id, volume, status, owner and tag, and paginates', async () => {
    const volumes: string[] = [];
    const made: string[] = [];
    for (let i = 0; i < 3; i++)
      volumes.push(await availableVolume({ availabilityZone: 'nimbus-1b', size: 1 }));
    for (let i = 0; i < 6; i++) {
      if (i % 3 === 0) laterThan15s();
      const { snapshot } = await bs.client.createSnapshot({
        volumeId: volumes[i % 3] ?? '',
        tagSpecifications: [{ resourceType: 'snapshot', tags: [{ key: 'page', value: String(i) }] }],
      });
      made.push(snapshot?.snapshotId ?? '');
    }
    for (const id of made) await completed(id);
    const filters = [
      { name: 'tag-key', values: ['page'] },
      { name: 'status', values: ['completed'] },
      { name: 'owner-id', values: [accountA] },
    ];
    const first = await bs.client.describeSnapshots({ filters, ownerIds: ['self'], maxResults: 5 });
    expect(first.snapshots).toHaveLength(5);
    const second = await bs.client.describeSnapshots({ filters, maxResults: 5, nextToken: first.nextToken });
    expect(second.nextToken).toBe('');
    expect([...first.snapshots, ...second.snapshots].map((s) => s.snapshotId).sort()).toEqual(
      [...made].sort(),
    );
    const ofVolume = await bs.client.describeSnapshots({
      filters: [{ name: 'volume-id', values: [volumes[1] ?? ''] }],
    });
    expect(ofVolume.snapshots.map((s) => s.snapshotId).sort()).toEqual([made[1], made[4]].sort());
    const tagged = await bs.client.describeSnapshots({ filters: [{ name: 'tag:page', values: ['2'] }] });
    expect(tagged.snapshots.map((s) => s.snapshotId)).toEqual([made[2]]);
    const byId = await bs.client.describeSnapshots({
      filters: [{ name: 'snapshot-id', values: [made[0] ?? ''] }],
    });
    expect(byId.snapshots).toHaveLength(1);
    expect(
      (await bs.client.describeSnapshots({ filters: [{ name: 'status', values: ['pending'] }] })).snapshots,
    ).toEqual([]);

    await bs.client.createTags({ resources: [made[0] ?? ''], tags: [{ key: 'team', value: 'storage' }] });
    expect(
      (
        await bs.client.describeSnapshots({ filters: [{ name: 'tag:team', values: ['storage'] }] })
      ).snapshots.map((s) => s.snapshotId),
    ).toEqual([made[0]]);
  });

  it('settles at start what a stopped service left pending: completed if its manifest was written, error if not', async () => {
    const volume = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    await writeInto(volume, 3 * MiB, randomBytes(2 * MiB));
    const atSnapshot = await checksum(volume);
    const id = (await bs.client.createSnapshot({ volumeId: volume })).snapshot?.snapshotId ?? '';
    await completed(id);
    // As if the process died after the manifest, before the record: pending with the manifest written.
    const key = storageKeys.snapshot(accountA, id);
    const kv = await bs.store.get(key);
    const record = JSON.parse(kv?.value ?? '{}') as Record<string, unknown>;
    await bs.store.update(
      key,
      JSON.stringify({ ...record, state: 'pending', progress: '37%' }),
      kv?.modRevision ?? 0,
    );
    // And one that died before its manifest.
    const lost = 'snap-00000000000000abc';
    const lostKey = storageKeys.snapshot(accountA, lost);
    await bs.store.create(
      lostKey,
      JSON.stringify({ ...record, snapshotId: lost, state: 'pending', progress: '12%' }),
    );

    await bs.restart();
    expect(await completed(id)).toMatchObject({ progress: '100%', fullSnapshotSizeInBytes: BigInt(2 * MiB) });
    const failed = await waitUntil(async () => {
      const snapshot = await describeOne(lost);
      return snapshot?.state === 'error' ? snapshot : undefined;
    });
    expect(failed.stateMessage).toMatch(/stopped/);
    expect(await checksum(await restored(id))).toBe(atSnapshot);
    await bs.client.deleteSnapshot({ snapshotId: lost });
  });
});
