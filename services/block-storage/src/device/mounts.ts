/** Mounting a volume's block device at a directory, and finding where it is mounted. */
import { mkdir, readFile } from 'node:fs/promises';
import { DeviceFacilityMissingError } from './device-errors.js';
import { formatDeviceNumber, type LoopDevice } from './loop-device.js';
import { runTool } from './run-command.js';

export interface MountOptions {
  /** Default ext4: what Nimbus makes on blank volumes. */
  fsType?: string;
  readOnly?: boolean;
}

/** Mounts the device at `directory` (made if missing). */
export async function mountDevice(
  device: LoopDevice,
  directory: string,
  options: MountOptions = {},
): Promise<void> {
  await mkdir(directory, { recursive: true });
  const args = [
    '-t',
    options.fsType ?? 'ext4',
    ...(options.readOnly ? ['-o', 'ro'] : []),
    device.path,
    directory,
  ];
  try {
    await runTool('mount', args);
  } catch (error) {
    if (/permission denied|only root/i.test((error as Error).message)) {
      throw new DeviceFacilityMissingError(
        ['root'],
        `mounting ${device.path} needs root: ${(error as Error).message}`,
      );
    }
    throw error;
  }
}

/** Unmounts `directory`; one not mounted is fine. */
export async function unmountDirectory(directory: string): Promise<void> {
  try {
    await runTool('mount', [directory], 'umount');
  } catch (error) {
    if (/not mounted|no mount point specified|No such file or directory/i.test((error as Error).message))
      return;
    throw error;
  }
}

/** Where the device is mounted now (from /proc/self/mountinfo), deepest last. */
export async function mountPointsOf(device: LoopDevice): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const number = formatDeviceNumber(device.number);
  const points: string[] = [];
  for (const line of info.split('\n')) {
    // "36 35 7:3 / /mnt/x rw,relatime shared:1 - ext4 /dev/loop3 rw"
    const fields = line.split(' ');
    if (fields[2] === number && fields[4]) points.push(fields[4].replace(/\\040/g, ' '));
  }
  return points;
}
