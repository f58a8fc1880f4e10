/**
 * Root volumes through block storage's device library: a volume file (an
 * ext4 image) is attached as a loop device and mounted at
 * `<baseDir>/<instance id>`, and its IOPS are enforced on the instance's blkio
 * cgroup (provisioned IOPS for io1, io2 and gp3, gp2's burst bucket) for as
 * long as it is mounted. A volume whose host path is a directory is used as
 * it is, as `directoryRootVolumes` does.
 *
 * Mounting is idempotent: a restarted worker finds the volume still mounted
 * where it left it and only starts the IOPS limiter again (a gp2 bucket then
 * starts full: the worker does not keep credits across its restarts). On a
 * host without root or loop devices the mount fails with the library's
 * DeviceFacilityMissingError, which names what is missing, and the boot is
 * reported failed with it; without the blkio controller the volume is
 * mounted and its IOPS are not enforced (logged once per volume).
 */
import { readdir, readFile, realpath, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  attachVolumeFile,
  createIopsLimiter,
  type DeviceNumber,
  detachLoopDevice,
  deviceNumberOf,
  type IopsLimiter,
  releaseVolumeFile,
  unmountDirectory,
} from '@nimbus/block-storage';
import type { Logger } from 'pino';
import type { RootVolumeRef } from '../runtime/instance-spec.js';
import type { MountContext, RootVolumes } from './root-volumes.js';

interface Limiting {
  limiter: IopsLimiter;
  stop: AbortController;
  running: Promise<void>;
}

/**
 * Whether any loop device is backed by `file`, from sysfs (what `losetup -j`
 * reads), without starting a process: the common case, none, then costs no
 * `losetup` run per boot.
 */
async function hasLoopDevice(file: string): Promise<boolean> {
  // sysfs shows the canonical path; only a bound loop device has a loop/ directory.
  const canonical = await realpath(file).catch(() => file);
  const devices = (await readdir('/sys/block').catch(() => [] as string[])).filter((n) =>
    n.startsWith('loop'),
  );
  const backings = await Promise.all(
    devices.map((name) => readFile(`/sys/block/${name}/loop/backing_file`, 'utf8').catch(() => '')),
  );
  return backings.some((backing) => backing.trim() === canonical);
}

/** The device mounted at `directory` (from /proc/self/mountinfo), if any. */
async function sourceMountedAt(directory: string): Promise<string | undefined> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of info.split('\n')) {
    // "36 35 7:3 / /mnt/x rw,relatime shared:1 - ext4 /dev/loop3 rw"
    const [left, right] = line.split(' - ');
    if (left?.split(' ')[4]?.replace(/\\040/g, ' ') === directory) return right?.split(' ')[1];
  }
  return undefined;
}

export function deviceRootVolumes(baseDir: string, logger: Logger): RootVolumes {
  const limiting = new Map<string, Limiting>();

  /** Stops the limiter; `keepLimit` leaves the limit in force (the worker closes, the instance runs on). */
  const stopLimiter = async (instanceId: string, options: { keepLimit?: boolean } = {}) => {
    const active = limiting.get(instanceId);
    if (!active) return;
    limiting.delete(instanceId);
    active.stop.abort();
    await active.running;
    if (!options.keepLimit) await active.limiter.clear().catch(() => {});
  };

  const startLimiter = async (
    instanceId: string,
    volume: RootVolumeRef,
    device: { number: DeviceNumber },
    blkioCgroup: string,
  ) => {
    if (limiting.has(instanceId) || !volume.performance) return;
    try {
      const limiter = await createIopsLimiter({
        cgroup: blkioCgroup,
        device: device.number,
        volume: volume.performance,
      });
      const stop = new AbortController();
      const running = limiter.run(stop.signal).catch((error: unknown) => {
        if (!stop.signal.aborted) logger.warn({ err: error, instanceId }, 'the IOPS limiter stopped');
      });
      limiting.set(instanceId, { limiter, stop, running });
    } catch (error) {
      logger.warn(
        { err: error, instanceId, volumeId: volume.volumeId },
        'IOPS of the root volume NOT enforced',
      );
    }
  };

  return {
    async plan(instanceId, volume) {
      const found = volume.hostPath ? await stat(volume.hostPath).catch(() => undefined) : undefined;
      if (!volume.hostPath || !found || found.isDirectory())
        return { path: volume.hostPath ?? join(baseDir, instanceId) };
      return { path: join(baseDir, instanceId), volumeFile: volume.hostPath };
    },
    async mount(instanceId, volume, context: MountContext = {}) {
      const file = volume.hostPath;
      if (!file) throw new Error(`root volume ${volume.volumeId} has no host path on this host`);
      const found = await stat(file).catch(() => undefined);
      if (!found) throw new Error(`root volume ${volume.volumeId} has no ${file} on this host`);
      if (found.isDirectory()) return { path: file };
      const mountPoint = join(baseDir, instanceId);
      // Already mounted (a restarted worker re-adopting its instance): only the throttle starts again.
      const source = await sourceMountedAt(mountPoint);
      let device: { number: DeviceNumber } | undefined;
      if (source?.startsWith('/dev/loop')) {
        device = { number: await deviceNumberOf(source) };
      } else {
        // Whatever an earlier worker left of this file (a loop device, a mount elsewhere) goes first.
        if (await hasLoopDevice(file)) await releaseVolumeFile(file);
        device = (await attachVolumeFile(file, { mountPoint })).device;
      }
      if (context.blkioCgroup) await startLimiter(instanceId, volume, device, context.blkioCgroup);
      return { path: mountPoint, volumeFile: file };
    },
    async unmount(instanceId, mounted) {
      await stopLimiter(instanceId);
      if (!mounted.volumeFile) return;
      // By the mount point first: the volume's file may be deleted already (the instance was
      // terminated while this worker was away), and a deleted file's loop devices cannot be found by name.
      const source = await sourceMountedAt(mounted.path);
      if (source) {
        await unmountDirectory(mounted.path);
        if (source.startsWith('/dev/loop')) await detachLoopDevice(source);
      }
      await releaseVolumeFile(mounted.volumeFile);
      await rmdir(mounted.path).catch(() => {});
    },
    async close() {
      await Promise.all(
        [...limiting.keys()].map((instanceId) => stopLimiter(instanceId, { keepLimit: true })),
      );
    },
    async discard(instanceId, volume) {
      await stopLimiter(instanceId);
      if (!volume.hostPath) return;
      const found = await stat(volume.hostPath).catch(() => undefined);
      if (found && !found.isDirectory())
        await rm(join(baseDir, instanceId), { recursive: true, force: true });
    },
  };
}
