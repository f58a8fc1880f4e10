/**
 * The bytes of volumes: one sparse file per volume, `<root>/volumes/<vol-id>.img`,
 * of exactly the volume's size (made and grown with truncate semantics, so an
 * empty volume takes no disk space). A blank volume gets an ext4 filesystem
 * at creation (make-filesystem.ts) unless the service runs with
 * NIMBUS_VOLUME_FILESYSTEM=none. Workers present the file to instances as a
 * loop device and throttle its IOPS (../device/).
 */
import { mkdir, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { creditFileOf } from '../device/burst-credits.js';
import { StorageError, StorageErrorCode } from '../domain/storage-errors.js';
import { makeExt4, type VolumeFilesystem } from './make-filesystem.js';

const GiB = 1024 ** 3;

export interface VolumeFile {
  volumeId: string;
  path: string;
  /** Last modification, epoch ms: a file younger than a grace period may belong to a create in flight. */
  mtimeMs: number;
}

export interface VolumeFiles {
  pathOf(volumeId: string): string;
  /**
   * Makes the file of a new volume, with the configured filesystem when
   * `blank` (a volume from a snapshot gets the snapshot's bytes instead);
   * fails if it exists. Leaves nothing behind on failure.
   */
  create(volumeId: string, sizeGiB: number, options?: { blank?: boolean }): Promise<void>;
  /** Grows the file to the new size; never shrinks. */
  grow(volumeId: string, sizeGiB: number): Promise<void>;
  /** Removes the file; a missing one is fine. */
  remove(volumeId: string): Promise<void>;
  list(): Promise<VolumeFile[]>;
}

function insufficientCapacity(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EFBIG' || code === 'ENOSPC' || code === 'EINVAL'
    ? new StorageError(
        StorageErrorCode.InsufficientVolumeCapacity,
        'There is not enough capacity to fulfill your EBS volume provision request.',
      )
    : error;
}

export function createVolumeFiles(root: string, filesystem: VolumeFilesystem = 'none'): VolumeFiles {
  const dir = join(root, 'volumes');
  const pathOf = (volumeId: string) => join(dir, `${volumeId}.img`);
  return {
    pathOf,
    async create(volumeId, sizeGiB, options = {}) {
      await mkdir(dir, { recursive: true });
      const path = pathOf(volumeId);
      const file = await open(path, 'wx');
      try {
        await file.truncate(sizeGiB * GiB);
      } catch (error) {
        await file.close();
        await rm(path, { force: true });
        throw insufficientCapacity(error);
      }
      await file.close();
      if (options.blank && filesystem === 'ext4') {
        try {
          await makeExt4(path);
        } catch (error) {
          await rm(path, { force: true });
          throw error;
        }
      }
    },
    async grow(volumeId, sizeGiB) {
      const path = pathOf(volumeId);
      if ((await stat(path)).size >= sizeGiB * GiB) return;
      await truncate(path, sizeGiB * GiB).catch((error: unknown) => {
        throw insufficientCapacity(error);
      });
    },
    async remove(volumeId) {
      await rm(pathOf(volumeId), { force: true });
      // The gp2 credit bucket the IOPS limiter kept beside it (device/burst-credits.ts).
      await rm(creditFileOf(pathOf(volumeId)), { force: true });
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const files: VolumeFile[] = [];
      for (const name of names) {
        const match = /^(vol-[0-9a-f]{17})\.img$/.exec(name);
        if (!match?.[1]) continue;
        const path = join(dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info) files.push({ volumeId: match[1], path, mtimeMs: info.mtimeMs });
      }
      return files;
    },
  };
}
