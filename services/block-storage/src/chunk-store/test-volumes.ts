/** Helpers for this folder's tests: volume files with known bytes, and what they occupy on disk. */
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A small seeded generator (mulberry32), so a failing property test can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytesFrom(random: () => number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (random() * 256) | 0;
  return bytes;
}

/** A fresh temp dir per test: call in `beforeEach`, and `removeTempDirs` in `afterEach`. */
export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nimbus-chunk-store-'));
  made.push(dir);
  return dir;
}
const made: string[] = [];
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Creates (or resizes) a sparse file of `size` bytes and writes each extent's bytes at its offset. */
export async function writeVolume(
  path: string,
  size: number,
  extents: { offset: number; bytes: Buffer }[] = [],
): Promise<void> {
  // Not 'a': on Linux, writes to a file opened for appending ignore their offset.
  await (await open(path, 'a')).close();
  const file = await open(path, 'r+');
  try {
    await file.truncate(size);
    for (const { offset, bytes } of extents) await file.write(bytes, 0, bytes.length, offset);
  } finally {
    await file.close();
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Bytes the file occupies on disk (sparse files occupy less than their size). */
export async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * 512;
}

/** Total size of the files under `<root>/blocks`. */
export async function storedBlockBytes(root: string): Promise<number> {
  const dir = join(root, 'blocks');
  let total = 0;
  for (const prefix of await readdir(dir).catch(() => [])) {
    for (const name of await readdir(join(dir, prefix))) total += (await stat(join(dir, prefix, name))).size;
  }
  return total;
}
