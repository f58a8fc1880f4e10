/**
 * The bytes of volumes: one sparse file per volume, `<root>/volumes/<vol-id>.img`,
 * of exactly the volume's size (made and grown with truncate semantics, so an
 * empty volume takes no disk space). Loop devices that present the file as a
 * block device to instances, and cgroup throttling to the volume's IOPS and
 * throughput, come later with attachments (the compute issue).
 */
import { mkdir, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { StorageError, StorageErrorCode } from '../domain/storage-errors.js';

const GiB = 1024 ** 3;

export interface VolumeFile {
  volumeId: string;
  path: string;
  /** Last modification, epoch ms: a file younger than a grace period may belong to a create in flight. */
  mtimeMs: number;
}

export interface VolumeFiles {
  pathOf(volumeId: string): string;
  /** Makes the file of a new volume; fails if it exists. Leaves nothing behind on failure. */
  create(volumeId: string, sizeGiB: number): Promise<void>;
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

export function createVolumeFiles(root: string): VolumeFiles {
  const dir = join(root, 'volumes');
  const pathOf = (volumeId: string) => join(dir, `${volumeId}.img`);
  return {
    pathOf,
    async create(volumeId, sizeGiB) {
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
