/**
 * How an instance's root volume becomes the directory its processes run in.
 * The process runtime only sees this seam: `directoryRootVolumes` uses a
 * directory as it is (the spec's own directory, else one per instance under
 * the worker's home); block storage's device library (loop device, ext4
 * mount, IOPS throttle) plugs in here behind the same interface.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RootVolumeRef } from '../runtime/instance-spec.js';

export interface MountedRoot {
  /** The directory the instance's processes run in. */
  path: string;
}

export interface RootVolumes {
  /** Makes the volume available as a directory; idempotent (a second call finds it mounted). */
  mount(instanceId: string, volume: RootVolumeRef): Promise<MountedRoot>;
  /** Releases it when the instance stops (the volume stays; the directory may go). */
  unmount(instanceId: string, mounted: MountedRoot): Promise<void>;
  /** Drops what `mount` made for good, when the instance is removed (unmounted already). */
  discard(instanceId: string, volume: RootVolumeRef): Promise<void>;
}

/** Directories as root volumes: no device, no filesystem of its own, no IOPS throttle. */
export function directoryRootVolumes(baseDir: string): RootVolumes {
  return {
    async mount(instanceId, volume) {
      if (volume.directory) return { path: volume.directory };
      const path = join(baseDir, instanceId);
      await mkdir(path, { recursive: true });
      return { path };
    },
    async unmount() {},
    async discard(instanceId, volume) {
      if (!volume.directory) await rm(join(baseDir, instanceId), { recursive: true, force: true });
    },
  };
}
