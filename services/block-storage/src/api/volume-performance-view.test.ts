import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { creditFileOf, writeCreditFile } from '../device/burst-credits.js';
import { useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

const bs = useBlockStorageUnderTest({ volumeFilesystem: 'none' });

async function availableVolume(request: Parameters<typeof bs.client.createVolume>[0]) {
  const { volume } = await bs.client.createVolume(request);
  const id = volume?.volumeId ?? '';
  await waitUntil(
    async () => (await bs.client.describeVolumes({ volumeIds: [id] })).volumes[0]?.state === 'available',
    { timeoutMs: 60_000, message: `${id} available` },
  );
  return id;
}

const describeOne = async (volumeId: string) =>
  (await bs.client.describeVolumes({ volumeIds: [volumeId] })).volumes[0];

async function scrape(): Promise<string> {
  const response = await fetch(`http://${bs.metricsAddress}/metrics`);
  return response.text();
}

describe('volume performance', () => {
  it("shows each volume's model, a gp2 volume's BurstBalance from its limiter's credit file, and both as gauges", async () => {
    const gp2 = await availableVolume({ availabilityZone: 'nimbus-1a', size: 100 });
    const gp3 = await availableVolume({
      availabilityZone: 'nimbus-1a',
      size: 8,
      volumeType: 'gp3',
      iops: 4000,
      throughput: 250,
    });
    const st1 = await availableVolume({ availabilityZone: 'nimbus-1b', size: 2048, volumeType: 'st1' });

    // A gp2 volume no limiter has run on has its full bucket.
    expect((await describeOne(gp2))?.performance).toMatchObject({
      baselineIops: 300,
      burstIops: 3000,
      baselineThroughput: 128,
      burstThroughput: 0,
      burstBalance: 100,
    });
    expect((await describeOne(gp3))?.performance).toMatchObject({
      baselineIops: 4000,
      baselineThroughput: 250,
      burstIops: 0,
    });
    expect((await describeOne(gp3))?.performance?.burstBalance).toBeUndefined();
    expect((await describeOne(st1))?.performance).toMatchObject({
      baselineThroughput: 80,
      burstThroughput: 500,
    });

    // What a worker's limiter writes beside the volume's file after spending most of the bucket.
    const file = creditFileOf(join(bs.storageRoot, 'volumes', `${gp2}.img`));
    await writeCreditFile(file, { credits: 1_350_000, capacity: 5_400_000, baseline: 300, atMs: Date.now() });
    const balance = (await describeOne(gp2))?.performance?.burstBalance ?? -1;
    // 25%, plus the little the baseline earned since.
    expect(balance).toBeGreaterThanOrEqual(25);
    expect(balance).toBeLessThan(25.1);
    // Idle for an hour, the bucket refills by 300 credits a second: 1.08 million, 20 points more.
    await writeCreditFile(file, {
      credits: 1_350_000,
      capacity: 5_400_000,
      baseline: 300,
      atMs: Date.now() - 3_600_000,
    });
    expect(Math.floor((await describeOne(gp2))?.performance?.burstBalance ?? -1)).toBe(45);

    const text = await scrape();
    expect(text).toContain(
      `nimbus_block_storage_volume_burst_balance_percent{account_id="111111111111",volume_id="${gp2}",service="block-storage"} 45`,
    );
    expect(text).not.toContain(`volume_id="${gp3}"`);
    expect(text).toMatch(
      /nimbus_block_storage_volumes\{state="available",volume_type="gp2",service="block-storage"\} 1\n/,
    );
    expect(text).toMatch(
      /nimbus_block_storage_volumes\{state="available",volume_type="st1",service="block-storage"\} 1\n/,
    );

    // Deleting the volume removes its credit file with it.
    await bs.client.deleteVolume({ volumeId: gp2 });
    await waitUntil(async () => !(await stat(file).catch(() => undefined)), {
      timeoutMs: 60_000,
      message: 'the credit file removed',
    });
    await waitUntil(async () => !(await scrape()).includes(gp2), {
      timeoutMs: 60_000,
      message: 'the gauge of a deleted volume gone',
    });
  });
});
