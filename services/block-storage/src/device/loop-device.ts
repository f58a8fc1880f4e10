/**
 * Loop devices: a volume file presented as a block device (losetup). A file
 * may have several (a crashed worker's leftovers); `loopDevicesOf` finds them
 * all (losetup -j) so that they can be cleaned up.
 */
import { stat } from 'node:fs/promises';
import { DeviceFacilityMissingError } from './device-errors.js';
import { runTool } from './run-command.js';

/** A block device's number, as cgroup files name it ("7:3"). */
export interface DeviceNumber {
  major: number;
  minor: number;
}

export interface LoopDevice {
  /** e.g. /dev/loop3 */
  path: string;
  number: DeviceNumber;
}

export function formatDeviceNumber({ major, minor }: DeviceNumber): string {
  return `${major}:${minor}`;
}

/** The major:minor of a block device node. */
export async function deviceNumberOf(devicePath: string): Promise<DeviceNumber> {
  const info = await stat(devicePath);
  if (!info.isBlockDevice()) throw new Error(`${devicePath} is not a block device`);
  // Linux's encoding of dev_t: major in bits 8-19 (and 32+), minor in bits 0-7 and 20-31.
  const rdev = info.rdev;
  const major = ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  return { major, minor };
}

export interface AttachOptions {
  readOnly?: boolean;
}

/** Attaches `file` to a free loop device. */
export async function attachLoopDevice(file: string, options: AttachOptions = {}): Promise<LoopDevice> {
  const args = ['--find', '--show', ...(options.readOnly ? ['--read-only'] : []), file];
  let out: string;
  try {
    out = await runTool('losetup', args);
  } catch (error) {
    const message = (error as Error).message;
    if (/permission denied|operation not permitted/i.test(message)) {
      throw new DeviceFacilityMissingError(['root'], `losetup needs root to attach ${file}: ${message}`);
    }
    if (/cannot find an unused loop device|no such file or directory.*loop/i.test(message)) {
      throw new DeviceFacilityMissingError(
        ['loop devices'],
        `no loop device could be had for ${file}: ${message}`,
      );
    }
    throw error;
  }
  const path = out.trim();
  return { path, number: await deviceNumberOf(path) };
}

/** Detaches a loop device; one already gone is fine. */
export async function detachLoopDevice(devicePath: string): Promise<void> {
  try {
    await runTool('losetup', ['--detach', devicePath]);
  } catch (error) {
    if (/No such device or address|No such file or directory/i.test((error as Error).message)) return;
    throw error;
  }
}

/** Every loop device backed by `file` (losetup -j), e.g. after a crash. */
export async function loopDevicesOf(file: string): Promise<LoopDevice[]> {
  const out = await runTool('losetup', [
    '--list',
    '--noheadings',
    '--output',
    'NAME,MAJ:MIN,BACK-FILE',
    '--associated',
    file,
  ]);
  const devices: LoopDevice[] = [];
  for (const line of out.split('\n')) {
    const match = /^(\S+)\s+(\d+):(\d+)(\s|$)/.exec(line.trim());
    if (!match) continue;
    devices.push({ path: match[1] as string, number: { major: Number(match[2]), minor: Number(match[3]) } });
  }
  return devices;
}
