/**
 * A volume's performance as DescribeVolumes shows it: EBS's model for its type
 * and size, and for a gp2 volume that bursts, its BurstBalance from the credit
 * file the worker's IOPS limiter keeps beside the volume's file (full, 100%,
 * until a limiter has run on it; refilled at the baseline rate since the
 * limiter last wrote it).
 */
import { create } from '@bufbuild/protobuf';
import { type VolumePerformance, VolumePerformanceSchema } from '@nimbus/api/gen/nimbus/storage/v1/volume_pb';
import { creditFileOf, creditsAt, readCreditFile } from '../device/burst-credits.js';
import { performanceOf } from '../domain/volume-performance.js';
import type { VolumeRecord } from '../state/volume-records.js';

/** The gp2 bucket in percent (two decimals), or undefined for a volume without one. */
export async function burstBalanceOf(
  v: VolumeRecord,
  volumeFile: string,
  nowMs: number,
): Promise<number | undefined> {
  if (!performanceOf(v).hasIoCredits) return undefined;
  const record = await readCreditFile(creditFileOf(volumeFile));
  if (!record) return 100;
  return Math.round((creditsAt(record, nowMs) / record.capacity) * 10_000) / 100;
}

export async function performanceView(
  v: VolumeRecord,
  volumeFile: string,
  nowMs: number,
): Promise<VolumePerformance> {
  const model = performanceOf(v);
  const burstBalance = await burstBalanceOf(v, volumeFile, nowMs);
  return create(VolumePerformanceSchema, {
    baselineIops: model.baselineIops,
    burstIops: model.burstIops,
    baselineThroughput: model.baselineThroughput,
    burstThroughput: model.burstThroughput,
    ...(burstBalance === undefined ? {} : { burstBalance }),
  });
}
