/**
 * EBS's performance model: how many IOPS and MiB/s a volume of a type and size
 * sustains, and how far it may burst while credits last. Figures are AWS's
 * published ones; sizes in GiB, throughput in MiB/s.
 */
import { gp2BaselineIops } from './volume-types.js';

export interface PerformanceModel {
  baselineIops: number;
  /** 0: no burst. */
  burstIops: number;
  baselineThroughput: number;
  /** 0: no burst. */
  burstThroughput: number;
  /** Whether the volume has a gp2 I/O credit bucket (gp2 below 1,000 GiB). */
  hasIoCredits: boolean;
}

export const gp2BurstIops = 3000;

const perTiB = (mibPerTiB: number, size: number, max: number) =>
  Math.min(max, Math.round((mibPerTiB * size) / 1024));

export function performanceOf(volume: {
  volumeType: string;
  size: number;
  iops: number;
  throughput: number;
}): PerformanceModel {
  const { size, iops } = volume;
  const none = { burstIops: 0, burstThroughput: 0, hasIoCredits: false };
  switch (volume.volumeType) {
    case 'gp2': {
      const baselineIops = gp2BaselineIops(size);
      const bursts = baselineIops < gp2BurstIops;
      return {
        baselineIops,
        burstIops: bursts ? gp2BurstIops : 0,
        // 128 MiB/s up to 170 GiB; 250 with credits (128 without) up to 333 GiB; 250 from 334 GiB.
        baselineThroughput: size >= 334 ? 250 : 128,
        burstThroughput: size > 170 && size < 334 ? 250 : 0,
        hasIoCredits: bursts,
      };
    }
    case 'gp3':
      return { ...none, baselineIops: iops, baselineThroughput: volume.throughput };
    case 'io1':
      // 256 KiB I/Os up to 32,000 IOPS (at most 500 MiB/s), then 16 KiB per provisioned IOPS (at most 1,000).
      return {
        ...none,
        baselineIops: iops,
        baselineThroughput:
          iops <= 32_000 ? Math.min(500, Math.floor(iops / 4)) : Math.min(1000, Math.floor(iops / 64)),
      };
    case 'io2':
      return { ...none, baselineIops: iops, baselineThroughput: Math.min(4000, Math.floor(iops / 4)) };
    case 'st1':
      return {
        ...none,
        baselineIops: 500,
        baselineThroughput: perTiB(40, size, 500),
        burstThroughput: perTiB(250, size, 500),
      };
    case 'sc1':
      return {
        ...none,
        baselineIops: 250,
        baselineThroughput: perTiB(12, size, 250),
        burstThroughput: perTiB(80, size, 250),
      };
    default:
      // Magnetic: about 100 IOPS on average, 40-90 MiB/s.
      return { ...none, baselineIops: 100, baselineThroughput: 40, burstThroughput: 90 };
  }
}
