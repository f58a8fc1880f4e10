import { closeSync, existsSync, openSync, readSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { storageKeys } from '../state/storage-keys.js';
import { accountA, useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

const bs = useBlockStorageUnderTest();
const GiB = 1024 ** 3;
const fileOf = (volumeId: string) => join(bs.storageRoot, 'volumes', `${volumeId}.img`);

async function availableVolume(request: Parameters<typeof bs.client.createVolume>[0]) {
  const { volume } = await bs.client.createVolume(request);
  const id = volume?.volumeId ?? '';
  await waitUntil(
    async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
  );
  return id;
}

/** The two bytes where an ext4 superblock keeps its magic number, 0xEF53. */
function ext4Magic(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(2);
    readSync(fd, buffer, 0, 2, 1080);
    return buffer.readUInt16LE(0);
  } finally {
    closeSync(fd);
  }
}

describe('volumes over gRPC', () => {
  it('creates a gp2 volume as a sparse file of its size, creating -> available, and removes the file on delete', async () => {
    const { volume } = await bs.client.createVolume({
      availabilityZone: 'nimbus-1a',
      size: 2,
      tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'Name', value: 'data' }] }],
    });
    expect(volume?.volumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(volume).toMatchObject({
      state: 'creating',
      volumeType: 'gp2',
      size: 2,
      iops: 100,
      ownerId: '111111111111',
    });
    const id = volume?.volumeId ?? '';
    const file = statSync(fileOf(id));
    expect(file.size).toBe(2 * GiB);
    expect(file.blocks * 512).toBeLessThan(GiB);
    expect(volume?.hostPath).toBe(fileOf(id));
    // Nimbus: a blank volume holds ext4 (its superblock magic at byte 1080), so a worker can mount it.
    expect(ext4Magic(fileOf(id))).toBe(0xef53);
    await waitUntil(
      async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
    );

    await bs.client.deleteVolume({ volumeId: id });
    expect(existsSync(fileOf(id))).toBe(false);
    expect(await errorCode(bs.client.describeVolumes({ volumeIds: [id] }))).toBe('InvalidVolume.NotFound');
  });

  it("refuses what EC2 refuses, with EC2's messages, and leaves no file behind", async () => {
    expect(
      await refusal(
        bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 2000, volumeType: 'standard' }),
      ),
    ).toEqual({
      code: 'InvalidParameterValue',
      message: 'Volume of 2000GiB is too large for volume type standard; maximum is 1024GiB',
    });
    expect(
      await refusal(
        bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 60, volumeType: 'io1', iops: 16000 }),
      ),
    ).toEqual({
      code: 'InvalidParameterValue',
      message: 'Iops to volume size ratio of 266.666667 is too high; maximum is 50',
    });
    expect(
      await refusal(
        bs.client.createVolume({
          availabilityZone: 'nimbus-1a',
          size: 100,
          volumeType: 'gp3',
          throughput: 1000,
        }),
      ),
    ).toEqual({
      code: 'InvalidParameterValue',
      message: 'Throughput (MiBps) to iops ratio of 0.333333 is too high; maximum is 0.250000 MiBps per iops',
    });
    expect(
      await errorCode(bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 8, iops: 300 })),
    ).toBe('InvalidParameterCombination');
    expect(
      await errorCode(
        bs.client.createVolume({
          availabilityZone: 'nimbus-1a',
          size: 8,
          volumeType: 'io1',
          throughput: 200,
          iops: 100,
        }),
      ),
    ).toBe('InvalidParameterCombination');
    expect(
      await errorCode(
        bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 8, multiAttachEnabled: true }),
      ),
    ).toBe('InvalidParameterCombination');
    expect(await errorCode(bs.client.createVolume({ availabilityZone: 'nimbus-9z', size: 8 }))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(bs.client.createVolume({ size: 8 }))).toBe('MissingParameter');
    expect(await errorCode(bs.client.describeVolumes({ volumeIds: ['vol-123'] }))).toBe(
      'InvalidVolumeID.Malformed',
    );
    expect(await errorCode(bs.client.deleteVolume({ volumeId: 'vol-0123456789abcdef0' }))).toBe(
      'InvalidVolume.NotFound',
    );
    const gp3 = await bs.client.createVolume({
      availabilityZone: 'nimbus-1b',
      size: 10,
      volumeType: 'gp3',
      tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'suite', value: 'refusals' }] }],
    });
    expect(gp3.volume).toMatchObject({ iops: 3000, throughput: 125 });
    const files = (
      await bs.client.describeVolumes({ filters: [{ name: 'tag:suite', values: ['refusals'] }] })
    ).volumes;
    expect(files.map((v) => v.volumeId)).toEqual([gp3.volume?.volumeId]);
  });

  it('answers DryRunOperation without creating or deleting anything', async () => {
    const before = (await bs.client.describeVolumes({})).volumes.length;
    expect(
      await errorCode(bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 1, dryRun: true })),
    ).toBe('DryRunOperation');
    expect((await bs.client.describeVolumes({})).volumes.length).toBe(before);
    const id = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    expect(await errorCode(bs.client.deleteVolume({ volumeId: id, dryRun: true }))).toBe('DryRunOperation');
    expect(existsSync(fileOf(id))).toBe(true);
    await bs.client.deleteVolume({ volumeId: id });
  });

  it('keeps accounts apart', async () => {
    const id = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    expect((await bs.otherAccount.describeVolumes({})).volumes).toEqual([]);
    expect(await errorCode(bs.otherAccount.describeVolumes({ volumeIds: [id] }))).toBe(
      'InvalidVolume.NotFound',
    );
    expect(await errorCode(bs.otherAccount.deleteVolume({ volumeId: id }))).toBe('InvalidVolume.NotFound');
    expect(await errorCode(bs.otherAccount.modifyVolume({ volumeId: id, size: 2 }))).toBe(
      'InvalidVolume.NotFound',
    );
    expect(existsSync(fileOf(id))).toBe(true);
  });

  it('lets one of two concurrent deletes win', async () => {
    const id = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const outcomes = await Promise.allSettled([
      bs.client.deleteVolume({ volumeId: id }),
      bs.client.deleteVolume({ volumeId: id }),
      bs.client.deleteVolume({ volumeId: id }),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected')
        expect(['InvalidVolume.NotFound', 'IncorrectState']).toContain((o.reason as { code: string }).code);
    }
    expect(existsSync(fileOf(id))).toBe(false);
  });

  it('deletes a volume that failed, as EC2 allows', async () => {
    const id = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    // A failed restore leaves a volume in `error`: put one there as that would.
    const key = storageKeys.volume(accountA, id);
    const kv = await bs.store.get(key);
    const record = JSON.parse(kv?.value ?? '{}') as { state: string };
    await bs.store.update(key, JSON.stringify({ ...record, state: 'error' }), kv?.modRevision ?? 0);
    await bs.client.deleteVolume({ volumeId: id });
    expect(await errorCode(bs.client.describeVolumes({ volumeIds: [id] }))).toBe('InvalidVolume.NotFound');
    expect(existsSync(fileOf(id))).toBe(false);
  });

  it('filters and paginates', async () => {
    const made: string[] = [];
    for (let i = 0; i < 6; i++) {
      made.push(
        await availableVolume({
          availabilityZone: 'nimbus-1b',
          size: 3,
          tagSpecifications: [{ resourceType: 'volume', tags: [{ key: 'page', value: String(i) }] }],
        }),
      );
    }
    const filters = [
      { name: 'tag-key', values: ['page'] },
      { name: 'size', values: ['3'] },
      { name: 'availability-zone', values: ['nimbus-1b'] },
      { name: 'status', values: ['available'] },
      { name: 'volume-type', values: ['gp2'] },
    ];
    const first = await bs.client.describeVolumes({ filters, maxResults: 5 });
    expect(first.volumes).toHaveLength(5);
    const second = await bs.client.describeVolumes({ filters, maxResults: 5, nextToken: first.nextToken });
    expect(second.nextToken).toBe('');
    expect([...first.volumes, ...second.volumes].map((v) => v.volumeId).sort()).toEqual([...made].sort());
    expect(
      (await bs.client.describeVolumes({ filters: [{ name: 'attachment.instance-id', values: ['i-*'] }] }))
        .volumes,
    ).toEqual([]);
    expect(
      (await bs.client.describeVolumes({ filters: [{ name: 'volume-id', values: [made[0] ?? ''] }] }))
        .volumes,
    ).toHaveLength(1);
    const status = await bs.client.describeVolumeStatus({ volumeIds: [made[0] ?? ''] });
    expect(status.volumeStatuses[0]?.volumeStatus?.status).toBe('ok');
  });

  it('grows a volume and its file with ModifyVolume, optimizing -> completed, and refuses to shrink', async () => {
    const id = await availableVolume({ availabilityZone: 'nimbus-1a', size: 4 });
    const { volumeModification } = await bs.client.modifyVolume({
      volumeId: id,
      size: 8,
      volumeType: 'gp3',
      iops: 4000,
    });
    expect(volumeModification).toMatchObject({
      modificationState: 'optimizing',
      originalSize: 4,
      targetSize: 8,
      targetIops: 4000,
      targetThroughput: 125,
    });
    expect(statSync(fileOf(id)).size).toBe(8 * GiB);
    await waitUntil(
      async () =>
        (await bs.client.describeVolumesModifications({ volumeIds: [id] })).volumesModifications[0]
          ?.modificationState === 'completed',
    );
    expect((await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]).toMatchObject({
      size: 8,
      volumeType: 'gp3',
      iops: 4000,
    });
    expect(await refusal(bs.client.modifyVolume({ volumeId: id, size: 4 }))).toEqual({
      code: 'InvalidParameterValue',
      message: 'New size cannot be smaller than existing size. Current size: 8GiB, requested size: 4GiB',
    });
    expect(await refusal(bs.client.modifyVolume({ volumeId: id, iops: 5000 }))).toEqual({
      code: 'InvalidParameterValue',
      message: 'Iops to volume size ratio of 625.000000 is too high; maximum is 500',
    });
    expect(await errorCode(bs.client.modifyVolume({ volumeId: id, volumeType: 'gp2', iops: 300 }))).toBe(
      'InvalidParameterCombination',
    );
  });

  it('tags and untags volumes', async () => {
    const id = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    await bs.client.createTags({ resources: [id], tags: [{ key: 'team', value: 'storage' }] });
    expect(
      (await bs.client.describeVolumes({ filters: [{ name: 'tag:team', values: ['storage'] }] })).volumes.map(
        (v) => v.volumeId,
      ),
    ).toEqual([id]);
    await bs.client.deleteTags({ resources: [id], tags: [{ key: 'team', value: '' }] });
    expect((await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.tags).toEqual([]);
  });

  it('removes, at start, an old volume file that no record owns, and keeps the ones that have records', async () => {
    const kept = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const orphan = fileOf('vol-00000000000000abc');
    writeFileSync(orphan, '');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(orphan, hourAgo, hourAgo);
    await bs.restart();
    await waitUntil(() => !existsSync(orphan));
    expect(existsSync(fileOf(kept))).toBe(true);
  });
});

describe('volume events', () => {
  it('publishes nimbus.storage.volume.state-changed for each state a volume reaches', async () => {
    const seen: { volumeId: string; state: string; previousState: string }[] = [];
    const subscription = await bs.bus.subscribe({
      durable: 'volume-events-test',
      subjects: ['nimbus.storage.volume.state-changed'],
      handler: async ({ event }) => {
        const detail = JSON.parse(event.detailJson) as { state: string; previousState: string };
        seen.push({ volumeId: event.resourceId, state: detail.state, previousState: detail.previousState });
      },
    });
    try {
      const { volume } = await bs.client.createVolume({ availabilityZone: 'nimbus-1b', size: 1 });
      const id = volume?.volumeId ?? '';
      await waitUntil(
        async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
      );
      await bs.client.deleteVolume({ volumeId: id });
      const states = () => seen.filter((e) => e.volumeId === id).map((e) => `${e.previousState}->${e.state}`);
      await waitUntil(() => states().length === 4, { message: 'four state changes' });
      expect(states()).toEqual([
        '->creating',
        'creating->available',
        'available->deleting',
        'deleting->deleted',
      ]);
    } finally {
      await subscription.close();
    }
  });
});
