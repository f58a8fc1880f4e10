import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SnapshotExistsError, SnapshotNotFoundError } from './errors.js';
import { fsyncDir, isErrno, writeNewFile } from './fs-sync.js';
import type { ManifestStore, SnapshotManifest } from './manifest.js';
import { SNAPSHOT_ID, validateManifest } from './manifest.js';

export interface FsManifestStoreOptions {
  /** Manifests are `<dir>/<snapshotId>.json`. */
  dir: string;
  /** fsync each manifest and the folder. Default true. */
  durable?: boolean;
}

/**
 * Manifests as JSON files. `create` writes a temp file and hard-links it to
 * the final name, which fails if the name exists: atomic and create-only.
 * Temp files start with `.` and are never listed as snapshots.
 */
export function createFsManifestStore(options: FsManifestStoreOptions): ManifestStore {
  const { dir, durable = true } = options;
  const pathOf = (snapshotId: string): string => {
    if (!SNAPSHOT_ID.test(snapshotId)) throw new TypeError(`not a snapshot id: ${snapshotId}`);
    return join(dir, `${snapshotId}.json`);
  };
  let made = false;

  return {
    async create(manifest) {
      const file = pathOf(manifest.snapshotId);
      if (!made) await mkdir(dir, { recursive: true });
      made = true;
      const tmp = join(dir, `.${manifest.snapshotId}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeNewFile(tmp, Buffer.from(JSON.stringify(manifest)), durable);
        await link(tmp, file);
      } catch (error) {
        if (isErrno(error, 'EEXIST')) throw new SnapshotExistsError(manifest.snapshotId);
        throw error;
      } finally {
        await rm(tmp, { force: true });
      }
      if (durable) await fsyncDir(dir);
    },
    async get(snapshotId) {
      let text: string;
      try {
        text = await readFile(pathOf(snapshotId), 'utf8');
      } catch (error) {
        if (isErrno(error, 'ENOENT')) throw new SnapshotNotFoundError(snapshotId);
        throw error;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return validateManifest(snapshotId, parsed) satisfies SnapshotManifest;
    },
    async delete(snapshotId) {
      try {
        await unlink(pathOf(snapshotId));
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return false;
        throw error;
      }
      if (durable) await fsyncDir(dir);
      return true;
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return [];
        throw error;
      }
      return names
        .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
        .map((n) => n.slice(0, -'.json'.length))
        .sort();
    },
    async removeLeftovers() {
      let names: string[];
      try {
        names = (await readdir(dir)).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return 0;
        throw error;
      }
      await Promise.all(names.map((n) => rm(join(dir, n), { force: true })));
      return names.length;
    },
  };
}
