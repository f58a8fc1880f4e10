import { createHash, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { type S3Server, startS3, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../chunk-store/s3-chunk-backend.js';
import { useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

let s3: S3Server | undefined;
beforeAll(async () => {
  s3 = await startS3(['nimbus-chunks']);
});
afterAll(async () => {
  await s3?.dispose();
});

const skewMs = 0;
const bs = useBlockStorageUnderTest({
  now: () => Date.now() + skewMs,
  volumeFilesystem: 'none',
  env: () => ({
    NIMBUS_CHUNK_STORE: 's3://nimbus-chunks/region-1',
    NIMBUS_S3_ENDPOINT: s3?.endpoint ?? '',
    NIMBUS_S3_ACCESS_KEY_ID: s3?.accessKeyId ?? '',
    NIMBUS_S3_SECRET_ACCESS_KEY: s3?.secretAccessKey ?? '',
  }),
});
const MiB = 1024 ** 2;
const fileOf = (volumeId: string) => join(bs.storageRoot, 'volumes', `${volumeId}.img`);
const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

async function until(what: string, check: () => Promise<boolean>) {
  await waitUntil(check, { timeoutMs: 60_000, intervalMs: 100, message: what });
}

describe('block storage with NIMBUS_CHUNK_STORE=s3://', () => {
  it('keeps snapshots in the bucket, restores their bytes, and frees their blocks on delete', async () => {
    const { volume } = await bs.client.createVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const volumeId = volume?.volumeId ?? '';
    await until(
      'volume available',
      async () =>
        (await bs.client.describeVolumes({ volumeIds: [volumeId] })).volumes[0]?.state === 'available',
    );
    const file = await open(fileOf(volumeId), 'r+');
    await file.write(randomBytes(3 * MiB), 0, 3 * MiB, 100 * MiB);
    await file.close();

    const { snapshot } = await bs.client.createSnapshot({ volumeId });
    const snapshotId = snapshot?.snapshotId ?? '';
    await until(
      'snapshot completed',
      async () =>
        (await bs.client.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots[0]?.state ===
        'completed',
    );

    const client = createS3Client({
      endpoint: s3?.endpoint ?? '',
      region: 'us-east-1',
      credentials: { accessKeyId: s3?.accessKeyId ?? '', secretAccessKey: s3?.secretAccessKey ?? '' },
      forcePathStyle: true,
    });
    const keys = async () =>
      (
        (await client.send(new ListObjectsV2Command({ Bucket: 'nimbus-chunks', Prefix: 'region-1/' })))
          .Contents ?? []
      ).map((o) => o.Key ?? '');
    try {
      const stored = await keys();
      expect(stored).toContain(`region-1/snapshots/${snapshotId}.json`);
      // Three 1 MiB blocks of random bytes; the rest of the volume is zeros, stored as holes.
      expect(stored.filter((k) => k.startsWith('region-1/blocks/'))).toHaveLength(3);

      const restored = await bs.client.createVolume({ availabilityZone: 'nimbus-1b', snapshotId });
      const restoredId = restored.volume?.volumeId ?? '';
      await until(
        'restored volume available',
        async () =>
          (await bs.client.describeVolumes({ volumeIds: [restoredId] })).volumes[0]?.state === 'available',
      );
      expect(await sha(fileOf(restoredId))).toBe(await sha(fileOf(volumeId)));

      await bs.client.deleteSnapshot({ snapshotId });
      expect(await keys()).toEqual([]);
    } finally {
      client.destroy();
    }
  });
});
