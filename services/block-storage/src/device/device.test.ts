import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVolumeFiles } from '../volume-files/volume-files.js';
import { createBlkioCgroup, readServicedIos, removeBlkioCgroup } from './blkio-cgroup.js';
import { creditFileOf, readCreditFile } from './burst-credits.js';
import { detectDeviceFacilities } from './host-facilities.js';
import { createIopsLimiter } from './iops-limiter.js';
import { attachLoopDevice, loopDevicesOf } from './loop-device.js';
import { mountPointsOf } from './mounts.js';
import { attachVolumeFile, releaseVolumeFile } from './volume-device.js';

const facilities = await detectDeviceFacilities();
if (facilities.missing.length > 0) {
  // This machine and CI have them all; a host without them runs only the other device tests.
  process.stdout.write(`device.test.ts skipped: this host lacks ${facilities.missing.join(', ')}\n`);
}
const hostHasDevices = facilities.missing.length === 0;

let dir = '';
let volumeFile = '';
let cgroup = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nimbus-device-'));
  const files = createVolumeFiles(dir, 'ext4');
  await files.create('vol-0123456789abcdef0', 1, { blank: true });
  volumeFile = files.pathOf('vol-0123456789abcdef0');
});
afterEach(async () => {
  // Every mount, loop device and cgroup a test made goes, also when it failed.
  if (hostHasDevices) {
    await releaseVolumeFile(volumeFile);
    if (cgroup) await removeBlkioCgroup(cgroup);
  }
  cgroup = '';
  await rm(dir, { recursive: true, force: true });
});

/** Runs dd reading `count` 4 KiB blocks with O_DIRECT from the device, inside the cgroup; its IOPS by dd's own clock. */
async function directReadIops(device: string, count: number, inCgroup: string): Promise<number> {
  const script = `echo $$ > '${inCgroup}/cgroup.procs' && exec dd if='${device}' of=/dev/null bs=4096 count=${count} iflag=direct`;
  const child = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`dd failed: ${stderr}`);
  const seconds = Number(/copied, ([\d.e-]+) s/.exec(stderr)?.[1]);
  return count / seconds;
}

describe.runIf(hostHasDevices)('volume devices (root, loop devices, blkio)', () => {
  it('mounts a blank volume, keeps what was written across release and re-attach, and leaves nothing behind', async () => {
    const data = randomBytes(64 * 1024);
    const mountPoint = join(dir, 'mnt');
    const first = await attachVolumeFile(volumeFile, { mountPoint });
    expect(first.device.path).toMatch(/^\/dev\/loop\d+$/);
    expect(await mountPointsOf(first.device)).toEqual([mountPoint]);
    await writeFile(join(mountPoint, 'hello.bin'), data);
    await first.release();
    expect(await loopDevicesOf(volumeFile)).toEqual([]);
    expect(await mountPointsOf(first.device)).toEqual([]);

    const again = await attachVolumeFile(volumeFile, { mountPoint });
    expect(await readFile(join(mountPoint, 'hello.bin'))).toEqual(data);
    await again.release();
    await again.release();
    expect(await loopDevicesOf(volumeFile)).toEqual([]);
  });

  it('finds and cleans up the loop devices and mounts a crashed user left for a file', async () => {
    await attachVolumeFile(volumeFile, { mountPoint: join(dir, 'left-mounted') });
    await attachLoopDevice(volumeFile);
    expect(await loopDevicesOf(volumeFile)).toHaveLength(2);
    expect(await releaseVolumeFile(volumeFile)).toBe(2);
    expect(await loopDevicesOf(volumeFile)).toEqual([]);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(join(dir, 'left-mounted'));
  });

  it('holds a 100 GiB gp2 volume to 3,000 IOPS while its bucket lasts and to about 300 once it is empty', async () => {
    const { device } = await attachVolumeFile(volumeFile);
    cgroup = join(facilities.blkioRoot as string, `nimbus-test-${randomUUID()}`);
    await createBlkioCgroup(cgroup);

    // The device without a limit, in the same run: far above the burst, so what follows is the throttle.
    const unthrottled = await directReadIops(device.path, 3000, cgroup);

    // A bucket of 6,000 credits instead of 5.4 million, so that it empties in about two seconds.
    const limiter = await createIopsLimiter({
      cgroup,
      device: device.number,
      volume: { volumeType: 'gp2', size: 100, iops: 300, throughput: 0 },
      bucketCredits: 6000,
      intervalMs: 100,
    });
    const stop = new AbortController();
    const running = limiter.run(stop.signal);
    try {
      expect(limiter.limit).toBe(3000);
      const bursting = await directReadIops(device.path, 3000, cgroup);
      await waitUntil(
        async () => {
          if (limiter.limit === 300) return true;
          await directReadIops(device.path, 300, cgroup);
          return false;
        },
        { message: 'the bucket empties', timeoutMs: 15_000 },
      );
      expect(limiter.burstBalance).toBe(0);
      // The bucket is kept beside the volume's file, where block storage reads BurstBalance.
      expect(limiter.creditFile).toBe(creditFileOf(volumeFile));
      const saved = await readCreditFile(creditFileOf(volumeFile));
      expect(saved?.capacity).toBe(6000);
      expect(saved?.credits).toBeLessThan(600);
      const drained = await directReadIops(device.path, 600, cgroup);
      process.stdout.write(
        `gp2 100 GiB: unthrottled ${unthrottled.toFixed(0)} IOPS, bursting ${bursting.toFixed(0)} IOPS, bucket empty ${drained.toFixed(0)} IOPS\n`,
      );
      expect(
        unthrottled,
        'the device itself must outrun the burst for this test to mean anything',
      ).toBeGreaterThan(3500);
      expect(bursting).toBeGreaterThan(2000);
      expect(bursting).toBeLessThan(4500);
      expect(drained).toBeGreaterThan(200);
      expect(drained).toBeLessThan(400);
      expect(bursting / drained).toBeGreaterThan(6);
      expect(await readServicedIos(cgroup, device.number)).toBeGreaterThanOrEqual(3000 + 3000 + 600);
    } finally {
      stop.abort();
      await running;
      await limiter.clear();
    }
  }, 40_000);
});
