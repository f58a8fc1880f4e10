import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockBackend } from './block-backend.js';
import { BLOCK_HASH, READ_BLOCK_INTO, type ReadBlockInto } from './block-backend.js';
import { BlockNotFoundError } from './errors.js';
import { fsyncDir, isErrno, writeNewFile } from './fs-sync.js';

export interface FsBlockBackendOptions {
  /** Blocks go to `<root>/blocks/ab/cdef…`, writes in flight to `<root>/tmp/`. */
  root: string;
  /** fsync each block before its rename and, in `sync`, the folders renamed into. Default true. */
  durable?: boolean;
}

/**
 * Blocks as files on the local filesystem. A block is written to
 * `<root>/tmp/<hash>.<random>` and renamed into place, so a crash leaves at
 * worst a temp file (removed by `removeLeftovers`), never a torn block.
 * One process owns a root at a time.
 */
export function createFsBlockBackend(options: FsBlockBackendOptions): BlockBackend & ReadBlockInto {
  const { root, durable = true } = options;
  const blocksDir = join(root, 'blocks');
  const tmpDir = join(root, 'tmp');
  const madeDirs = new Set<string>();
  /** Fan-out folders renamed into since the last `sync`. */
  const unsyncedDirs = new Set<string>();

  const pathOf = (hash: string): { dir: string; file: string } => {
    if (!BLOCK_HASH.test(hash)) throw new TypeError(`not a block hash: ${hash}`);
    const dir = join(blocksDir, hash.slice(0, 2));
    return { dir, file: join(dir, hash.slice(2)) };
  };
  const ensureDir = async (dir: string): Promise<void> => {
    if (madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  };

  return {
    async put(hash, data) {
      const { dir, file } = pathOf(hash);
      await Promise.all([ensureDir(dir), ensureDir(tmpDir)]);
      const tmp = join(tmpDir, `${hash}.${randomBytes(6).toString('hex')}`);
      try {
        await writeNewFile(tmp, data, durable);
        await rename(tmp, file);
      } catch (error) {
        await rm(tmp, { force: true });
        throw error;
      }
      if (durable) unsyncedDirs.add(dir);
    },
    async get(hash) {
      try {
        return await readFile(pathOf(hash).file);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) throw new BlockNotFoundError(hash);
        throw error;
      }
    },
    async [READ_BLOCK_INTO](hash, into) {
      let file: Awaited<ReturnType<typeof open>>;
      try {
        file = await open(pathOf(hash).file, 'r');
      } catch (error) {
        if (isErrno(error, 'ENOENT')) throw new BlockNotFoundError(hash);
        throw error;
      }
      try {
        const { size } = await file.stat();
        let done = 0;
        while (done < Math.min(size, into.length)) {
          const { bytesRead } = await file.read(into, done, into.length - done, done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return size > into.length ? size : done;
      } finally {
        await file.close();
      }
    },
    async has(hash) {
      try {
        return (await stat(pathOf(hash).file)).isFile();
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return false;
        throw error;
      }
    },
    async delete(hash) {
      try {
        await unlink(pathOf(hash).file);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    },
    async *list() {
      let fanOut: string[];
      try {
        fanOut = await readdir(blocksDir);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return;
        throw error;
      }
      for (const prefix of fanOut.sort()) {
        for (const rest of await readdir(join(blocksDir, prefix))) {
          const hash = prefix + rest;
          if (BLOCK_HASH.test(hash)) yield hash;
        }
      }
    },
    async sync() {
      const dirs = [...unsyncedDirs];
      unsyncedDirs.clear();
      await Promise.all(dirs.map(fsyncDir));
    },
    async removeLeftovers() {
      let names: string[];
      try {
        names = await readdir(tmpDir);
      } catch (error) {
        if (isErrno(error, 'ENOENT')) return 0;
        throw error;
      }
      await Promise.all(names.map((name) => rm(join(tmpDir, name), { force: true })));
      return names.length;
    },
  };
}
