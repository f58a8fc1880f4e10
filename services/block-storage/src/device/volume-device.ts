/**
 * A volume as a worker uses it: its file attached as a loop device and
 * mounted at a directory the instance sees, and released again. `release`
 * and `releaseVolumeFile` are idempotent and also clean up what a crashed
 * worker left (every loop device of the file, wherever it is mounted).
 */
import { attachLoopDevice, detachLoopDevice, type LoopDevice, loopDevicesOf } from './loop-device.js';
import { type MountOptions, mountDevice, mountPointsOf, unmountDirectory } from './mounts.js';

export interface AttachedVolume {
  device: LoopDevice;
  /** Where it is mounted, when it was asked to be. */
  mountPoint?: string;
  /** Unmounts and detaches. */
  release(): Promise<void>;
}

export interface AttachVolumeOptions extends MountOptions {
  /** Mount the device here; without it only the block device is made. */
  mountPoint?: string;
}

/** Attaches the volume file as a loop device and mounts it; on failure nothing is left attached. */
export async function attachVolumeFile(
  file: string,
  options: AttachVolumeOptions = {},
): Promise<AttachedVolume> {
  const device = await attachLoopDevice(file, options.readOnly ? { readOnly: true } : {});
  const release = async () => {
    for (const point of (await mountPointsOf(device)).reverse()) await unmountDirectory(point);
    await detachLoopDevice(device.path);
  };
  if (options.mountPoint) {
    try {
      await mountDevice(device, options.mountPoint, options);
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
  }
  return { device, ...(options.mountPoint ? { mountPoint: options.mountPoint } : {}), release };
}

/** Unmounts and detaches every loop device backed by the file; returns how many there were. */
export async function releaseVolumeFile(file: string): Promise<number> {
  const devices = await loopDevicesOf(file);
  for (const device of devices) {
    for (const point of (await mountPointsOf(device)).reverse()) await unmountDirectory(point);
    await detachLoopDevice(device.path);
  }
  return devices.length;
}
