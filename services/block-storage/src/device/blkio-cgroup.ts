/**
 * The cgroup v1 blkio files the IOPS limiter uses, on a cgroup directory the
 * caller owns (the worker puts each instance in its own). The throttle
 * applies to I/O that processes of the cgroup submit to the device
 * themselves: reads and direct (O_DIRECT) writes. cgroup v1 does not charge
 * buffered writes, which the kernel's flusher threads write back later, to
 * the cgroup, so those pass unthrottled (cgroup v2's io controller would).
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeviceFacilityMissingError } from './device-errors.js';
import { type DeviceNumber, formatDeviceNumber } from './loop-device.js';

export async function createBlkioCgroup(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}

/** Removes the cgroup; it must have no processes left. A missing one is fine. */
export async function removeBlkioCgroup(path: string): Promise<void> {
  try {
    await rmdir(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'EBUSY') {
      const procs = (await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => '')).trim();
      throw new Error(
        `cgroup ${path} still has processes (${procs.split('\n').join(', ')}); stop them first`,
      );
    }
    throw error;
  }
}

export async function addProcessToCgroup(path: string, pid: number): Promise<void> {
  await writeFile(join(path, 'cgroup.procs'), `${pid}\n`);
}

/** I/Os the device serviced for the cgroup's processes so far (blkio.throttle.io_serviced, Total). */
export async function readServicedIos(path: string, device: DeviceNumber): Promise<number> {
  const text = await readFile(join(path, 'blkio.throttle.io_serviced'), 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new DeviceFacilityMissingError(
      ['blkio cgroup (v1)'],
      `${path} is not a cgroup of the v1 blkio controller (no blkio.throttle.io_serviced); IOPS are not enforced without it`,
    );
  });
  const prefix = `${formatDeviceNumber(device)} Total `;
  for (const line of text.split('\n')) {
    if (line.startsWith(prefix)) return Number(line.slice(prefix.length));
  }
  return 0;
}

/** Sets the device's read and write IOPS limits for the cgroup; 0 removes them. */
export async function writeIopsLimit(path: string, device: DeviceNumber, iops: number): Promise<void> {
  const rule = `${formatDeviceNumber(device)} ${Math.max(0, Math.round(iops))}\n`;
  await writeFile(join(path, 'blkio.throttle.read_iops_device'), rule);
  await writeFile(join(path, 'blkio.throttle.write_iops_device'), rule);
}

/** Sets the device's read and write byte rate limits for the cgroup; 0 removes them. */
export async function writeBpsLimit(
  path: string,
  device: DeviceNumber,
  bytesPerSecond: number,
): Promise<void> {
  const rule = `${formatDeviceNumber(device)} ${Math.max(0, Math.round(bytesPerSecond))}\n`;
  await writeFile(join(path, 'blkio.throttle.read_bps_device'), rule);
  await writeFile(join(path, 'blkio.throttle.write_bps_device'), rule);
}
