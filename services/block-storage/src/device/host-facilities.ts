/**
 * What this host offers the device library: root, loop devices and the
 * cgroup v1 blkio controller with its throttle files. Without them a worker
 * cannot present volumes as block devices nor enforce their IOPS: it then
 * exposes the volume file itself and the IOPS are recorded, not enforced
 * (see the README).
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { type DeviceFacility, DeviceFacilityMissingError } from './device-errors.js';

export interface DeviceFacilities {
  /** What is missing; empty when the host has everything. */
  missing: DeviceFacility[];
  /** Where the blkio hierarchy is mounted, when it is. */
  blkioRoot?: string;
}

/** The mount point of the cgroup v1 blkio controller, from /proc/self/mounts, if mounted. */
export async function findBlkioRoot(): Promise<string | undefined> {
  const mounts = await readFile('/proc/self/mounts', 'utf8').catch(() => '');
  for (const line of mounts.split('\n')) {
    const [, mountPoint, type, options] = line.split(' ');
    if (type === 'cgroup' && options?.split(',').includes('blkio') && mountPoint) {
      return mountPoint.replace(/\\040/g, ' ');
    }
  }
  return undefined;
}

export async function detectDeviceFacilities(): Promise<DeviceFacilities> {
  const missing: DeviceFacility[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  const hasLoop = await access('/dev/loop-control', constants.R_OK | constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!hasLoop) missing.push('loop devices');
  const blkioRoot = await findBlkioRoot();
  const throttles =
    blkioRoot !== undefined &&
    (await access(`${blkioRoot}/blkio.throttle.read_iops_device`).then(
      () => true,
      () => false,
    ));
  if (!throttles) missing.push('blkio cgroup (v1)');
  return { missing, ...(blkioRoot && throttles ? { blkioRoot } : {}) };
}

/** Throws DeviceFacilityMissingError naming what of `needed` the host lacks. */
export async function requireDeviceFacilities(needed: readonly DeviceFacility[]): Promise<DeviceFacilities> {
  const found = await detectDeviceFacilities();
  const lacking = found.missing.filter((m) => needed.includes(m));
  if (lacking.length > 0) {
    throw new DeviceFacilityMissingError(
      lacking,
      'volumes are then exposed as plain files and their IOPS are not enforced',
    );
  }
  return found;
}
