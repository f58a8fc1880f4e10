/**
 * How an instance's root volume becomes the directory its processes run in.
 * The process runtime only sees this seam. `directoryRootVolumes` takes a
 * volume whose host path is a directory as it is, and makes an empty
 * directory under the worker's home for a volume without a host path; a
 * volume file (ext4 image) needs block storage's device library (loop
 * device, mount, IOPS throttle), which plugs in here behind the same
 * interface: without it such a volume cannot be mounted, and the boot fails
 * saying so.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RootVolumeRef } from '../runtime/instance-spec.js';

export interface MountedRoot {
  /** The directory the instance's processes run in. */
  path: string;
  /** The volume file mounted there, when it is one (not a directory used as it is). */
  volumeFile?: string;
}

export interface MountContext {
  /** The instance's blkio cgroup, where the volume's IOPS are enforced. */
  blkioCgroup?: string;
}

export interface RootVolumes {
  /** Where `mount` will put the volume (nothing is done yet): recorded before mounting. */
  plan(instanceId: string, volume: RootVolumeRef): Promise<MountedRoot>;
  /** Makes the volume available as a directory; idempotent (a second call finds it mounted). */
  mount(instanceId: string, volume: RootVolumeRef, context?: MountContext): Promise<MountedRoot>;
  /** Releases it when the instance stops (the volume stays; the directory may go). */
  unmount(instanceId: string, mounted: MountedRoot): Promise<void>;
  /** Drops what `mount` made for good, when the instance is removed (unmounted already). */
  discard(instanceId: string, volume: RootVolumeRef): Promise<void>;
  /** Stops what runs in the background for mounted volumes (they stay mounted). */
  close?(): Promise<void>;
}

/** Directories as root volumes: no device, no filesystem of its own, no IOPS throttle. */
export function directoryRootVolumes(baseDir: string): RootVolumes {
  return {
    async plan(instanceId, volume) {
      return { path: volume.hostPath ?? join(baseDir, instanceId) };
    },
    async mount(instanceId, volume) {
      if (volume.hostPath) {
        const found = await stat(volume.hostPath).catch(() => undefined);
        if (!found) throw new Error(`root volume ${volume.volumeId} has no ${volume.hostPath} on this host`);
        if (!found.isDirectory()) {
          throw new Error(
            `root volume ${volume.volumeId} is a volume file (${volume.hostPath}); mounting one needs block storage's device library, which this worker does not have`,
          );
        }
        return { path: volume.hostPath };
      }
      const path = join(baseDir, instanceId);
      await mkdir(path, { recursive: true });
      return { path };
    },
    async unmount() {},
    async discard(instanceId, volume) {
      if (!volume.hostPath) await rm(join(baseDir, instanceId), { recursive: true, force: true });
    },
  };
}
