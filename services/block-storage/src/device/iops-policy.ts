/**
 * How fast a volume may go, by type (EBS's model): io1, io2 and gp3 get their
 * provisioned IOPS (and gp3 its provisioned throughput); gp2 gets its baseline
 * of 3 IOPS per GiB (100 to 16,000) and, under 1 TiB, bursts to 3,000 while its
 * credit bucket lasts; st1, sc1 and standard are not throttled (Nimbus:
 * their throughput model is recorded, not enforced).
 */
import { gp2BurstIops } from '../domain/volume-performance.js';
import { gp2BaselineIops, type VolumeType } from '../domain/volume-types.js';

export { gp2BurstIops };

/** EBS's gp2 bucket: 5.4 million I/O credits, full at creation. */
export const gp2BucketCredits = 5_400_000;

export type IopsPolicy =
  | { kind: 'unlimited' }
  | { kind: 'fixed'; iops: number; bytesPerSecond: number }
  | { kind: 'burst'; baseline: number; burst: number; bucketCredits: number };

export interface VolumePerformance {
  volumeType: VolumeType | string;
  /** GiB */
  size: number;
  /** Provisioned IOPS (io1, io2, gp3). */
  iops: number;
  /** Provisioned MiB/s (gp3); 0 when none. */
  throughput: number;
}

export function iopsPolicyOf(volume: VolumePerformance, bucketCredits = gp2BucketCredits): IopsPolicy {
  switch (volume.volumeType) {
    case 'gp2': {
      const baseline = gp2BaselineIops(volume.size);
      return baseline >= gp2BurstIops
        ? { kind: 'fixed', iops: baseline, bytesPerSecond: 0 }
        : { kind: 'burst', baseline, burst: gp2BurstIops, bucketCredits };
    }
    case 'gp3':
      return { kind: 'fixed', iops: volume.iops, bytesPerSecond: volume.throughput * 1024 * 1024 };
    case 'io1':
    case 'io2':
      return { kind: 'fixed', iops: volume.iops, bytesPerSecond: 0 };
    default:
      return { kind: 'unlimited' };
  }
}
