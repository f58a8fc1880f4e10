import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCreditFile } from './burst-credits.js';
import { createIopsLimiter } from './iops-limiter.js';
import { iopsPolicyOf } from './iops-policy.js';

// A cgroup directory stand-in: the limiter only reads and writes its files, so the bucket's
// accounting is checked here with a fake clock; device.test.ts checks it on the real throttle.
let cgroup = '';
const device = { major: 7, minor: 5 };
let clock = 0;
const now = () => clock;

beforeEach(async () => {
  cgroup = await mkdtemp(join(tmpdir(), 'nimbus-fake-cgroup-'));
  clock = 0;
  await serviced(0);
});
afterEach(async () => {
  await rm(cgroup, { recursive: true, force: true });
});

async function serviced(total: number) {
  await writeFile(
    join(cgroup, 'blkio.throttle.io_serviced'),
    `7:5 Read ${total}\n7:5 Write 0\n7:5 Total ${total}\n8:0 Total 99999\nTotal ${total + 99999}\n`,
  );
}
const rule = async (name: string) => (await readFile(join(cgroup, `blkio.throttle.${name}`), 'utf8')).trim();

describe('IOPS policy', () => {
  it('follows EBS: provisioned for io1/io2/gp3, gp2 baseline 3 per GiB (100-16,000) bursting to 3,000 under 1 TiB', () => {
    expect(iopsPolicyOf({ volumeType: 'io1', size: 100, iops: 5000, throughput: 0 })).toEqual({
      kind: 'fixed',
      iops: 5000,
      bytesPerSecond: 0,
    });
    expect(iopsPolicyOf({ volumeType: 'gp3', size: 100, iops: 3000, throughput: 125 })).toEqual({
      kind: 'fixed',
      iops: 3000,
      bytesPerSecond: 125 * 1024 * 1024,
    });
    expect(iopsPolicyOf({ volumeType: 'gp2', size: 100, iops: 300, throughput: 0 })).toEqual({
      kind: 'burst',
      baseline: 300,
      burst: 3000,
      bucketCredits: 5_400_000,
    });
    expect(iopsPolicyOf({ volumeType: 'gp2', size: 10, iops: 100, throughput: 0 })).toMatchObject({
      baseline: 100,
    });
    expect(iopsPolicyOf({ volumeType: 'gp2', size: 2000, iops: 6000, throughput: 0 })).toMatchObject({
      kind: 'fixed',
      iops: 6000,
    });
    expect(iopsPolicyOf({ volumeType: 'gp2', size: 16384, iops: 16000, throughput: 0 })).toMatchObject({
      iops: 16000,
    });
    expect(iopsPolicyOf({ volumeType: 'st1', size: 500, iops: 0, throughput: 0 })).toEqual({
      kind: 'unlimited',
    });
  });
});

describe('IOPS limiter', () => {
  it('writes a provisioned limit, and a gp3 throughput limit, for the device', async () => {
    const limiter = await createIopsLimiter({
      cgroup,
      device,
      creditFile: join(cgroup, 'credits'),
      volume: { volumeType: 'gp3', size: 100, iops: 4000, throughput: 250 },
      now,
    });
    expect(limiter.limit).toBe(4000);
    expect(await rule('read_iops_device')).toBe('7:5 4000');
    expect(await rule('write_iops_device')).toBe('7:5 4000');
    expect(await rule('read_bps_device')).toBe(`7:5 ${250 * 1024 * 1024}`);
    await limiter.clear();
    expect(await rule('read_iops_device')).toBe('7:5 0');
  });

  it('spends gp2 credits on the I/O really serviced, drops to baseline when empty, and bursts again once earned', async () => {
    const limiter = await createIopsLimiter({
      cgroup,
      device,
      creditFile: join(cgroup, 'credits'),
      volume: { volumeType: 'gp2', size: 100, iops: 300, throughput: 0 },
      bucketCredits: 6000,
      now,
    });
    expect(limiter.limit).toBe(3000);
    expect(await rule('read_iops_device')).toBe('7:5 3000');
    expect(limiter.burstBalance).toBe(100);

    // One second at the burst rate: 3,000 I/Os spend 3,000 and earn 300.
    clock += 1000;
    await serviced(3000);
    await limiter.tick();
    expect(limiter.credits).toBe(3300);
    expect(limiter.burstBalance).toBe(55);
    expect(limiter.limit).toBe(3000);

    clock += 1000;
    await serviced(6000);
    await limiter.tick();
    expect(limiter.credits).toBe(600);
    clock += 1000;
    await serviced(9000);
    await limiter.tick();
    expect(limiter.credits).toBe(0);
    expect(limiter.limit).toBe(300);
    expect(await rule('read_iops_device')).toBe('7:5 300');
    expect(await rule('write_iops_device')).toBe('7:5 300');

    // At baseline the bucket stays empty.
    clock += 1000;
    await serviced(9300);
    await limiter.tick();
    expect(limiter.limit).toBe(300);

    // Idle: 300 credits a second; bursting resumes once a second of burst (2,700) is saved.
    clock += 8000;
    await limiter.tick();
    expect(limiter.credits).toBe(2400);
    expect(limiter.limit).toBe(300);
    clock += 1000;
    await limiter.tick();
    expect(limiter.credits).toBe(2700);
    expect(limiter.limit).toBe(3000);
    expect(await rule('read_iops_device')).toBe('7:5 3000');
  });

  it('never fills the bucket beyond its size', async () => {
    const limiter = await createIopsLimiter({
      cgroup,
      device,
      creditFile: join(cgroup, 'credits'),
      volume: { volumeType: 'gp2', size: 100, iops: 300, throughput: 0 },
      bucketCredits: 1000,
      initialCredits: 500,
      now,
    });
    clock += 60_000;
    await limiter.tick();
    expect(limiter.credits).toBe(1000);
  });
});

describe('the gp2 credit file', () => {
  it('keeps the bucket across a detach: the next limiter starts from what was left plus what the idle time earned', async () => {
    const creditFile = join(cgroup, 'vol.img.credits');
    let wall = 1_000_000;
    const volume = { volumeType: 'gp2', size: 100, iops: 300, throughput: 0 };
    const first = await createIopsLimiter({
      cgroup,
      device,
      volume,
      bucketCredits: 10_000,
      creditFile,
      now,
      wallClock: () => wall,
    });
    expect(first.creditFile).toBe(creditFile);
    // One second of 8,300 I/Os: 8,000 credits spent beyond the 300 earned.
    clock += 1000;
    wall += 1000;
    await serviced(8300);
    await first.tick();
    expect(first.credits).toBe(2000);
    expect(await readCreditFile(creditFile)).toEqual({
      credits: 2000,
      capacity: 10_000,
      baseline: 300,
      atMs: wall,
    });
    // Detached for 10 s: 3,000 credits earned at the baseline rate.
    wall += 10_000;
    const second = await createIopsLimiter({
      cgroup,
      device,
      volume,
      bucketCredits: 10_000,
      creditFile,
      now,
      wallClock: () => wall,
    });
    expect(second.credits).toBe(5000);
    // A bucket of another size starts full; a limiter without a file keeps none.
    const resized = await createIopsLimiter({
      cgroup,
      device,
      volume,
      bucketCredits: 20_000,
      creditFile,
      now,
      wallClock: () => wall,
    });
    expect(resized.credits).toBe(20_000);
    const inMemory = await createIopsLimiter({ cgroup, device, volume, creditFile: null, now });
    expect(inMemory.creditFile).toBeUndefined();
  });
});
