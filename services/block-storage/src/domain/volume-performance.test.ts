import { describe, expect, it } from 'vitest';
import { performanceOf } from './volume-performance.js';

const of = (volumeType: string, size: number, iops = 0, throughput = 0) =>
  performanceOf({ volumeType, size, iops, throughput });

describe("EBS's performance model", () => {
  it('gives gp2 3 IOPS per GiB (100-16,000), a 3,000 burst below 1,000 GiB, and 128/250 MiB/s by size', () => {
    expect(of('gp2', 10)).toEqual({
      baselineIops: 100,
      burstIops: 3000,
      baselineThroughput: 128,
      burstThroughput: 0,
      hasIoCredits: true,
    });
    expect(of('gp2', 100)).toMatchObject({ baselineIops: 300, burstIops: 3000, hasIoCredits: true });
    expect(of('gp2', 200)).toMatchObject({
      baselineIops: 600,
      baselineThroughput: 128,
      burstThroughput: 250,
    });
    expect(of('gp2', 334)).toMatchObject({ baselineThroughput: 250, burstThroughput: 0 });
    expect(of('gp2', 999)).toMatchObject({ baselineIops: 2997, burstIops: 3000, hasIoCredits: true });
    expect(of('gp2', 1000)).toMatchObject({ baselineIops: 3000, burstIops: 0, hasIoCredits: false });
    expect(of('gp2', 16_384)).toMatchObject({ baselineIops: 16_000, burstIops: 0 });
  });

  it('gives gp3, io1 and io2 what was provisioned, with their throughput rules', () => {
    expect(of('gp3', 100, 4000, 250)).toEqual({
      baselineIops: 4000,
      burstIops: 0,
      baselineThroughput: 250,
      burstThroughput: 0,
      hasIoCredits: false,
    });
    expect(of('io1', 100, 1000)).toMatchObject({ baselineIops: 1000, baselineThroughput: 250 });
    expect(of('io1', 1000, 32_000)).toMatchObject({ baselineThroughput: 500 });
    expect(of('io1', 2000, 64_000)).toMatchObject({ baselineThroughput: 1000 });
    expect(of('io2', 2000, 64_000)).toMatchObject({ baselineThroughput: 4000 });
  });

  it('gives st1 and sc1 throughput per TiB with a burst, and standard about 100 IOPS', () => {
    expect(of('st1', 1024)).toMatchObject({
      baselineIops: 500,
      baselineThroughput: 40,
      burstThroughput: 250,
    });
    expect(of('st1', 16_384)).toMatchObject({ baselineThroughput: 500, burstThroughput: 500 });
    expect(of('sc1', 1024)).toMatchObject({ baselineIops: 250, baselineThroughput: 12, burstThroughput: 80 });
    expect(of('sc1', 16_384)).toMatchObject({ baselineThroughput: 192, burstThroughput: 250 });
    expect(of('standard', 100)).toMatchObject({
      baselineIops: 100,
      baselineThroughput: 40,
      burstThroughput: 90,
    });
  });
});
