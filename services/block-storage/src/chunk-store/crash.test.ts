import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlockBackend } from './block-backend.js';
import { createChunkStore } from './chunk-store.js';
import { createFsBlockBackend } from './fs-block-backend.js';
import {
  makeTempDir,
  randomBytesFrom,
  removeTempDirs,
  seededRandom,
  sha256OfFile,
  storedBlockBytes,
  writeVolume,
} from './test-volumes.js';

const BLOCK = 64 * 1024;

let dir: string;
let root: string;
let volume: string;
beforeEach(async () => {
  dir = await makeTempDir();
  root = join(dir, 'store');
  volume = join(dir, 'vol');
  await writeVolume(volume, 64 * BLOCK, [
    { offset: 0, bytes: randomBytesFrom(seededRandom(11), 64 * BLOCK) },
  ]);
});
afterEach(removeTempDirs);

describe('chunk store after an interrupted snapshot', () => {
  it('an aborted snapshot writes no manifest, and its blocks are collected while other snapshots stay whole', async () => {
    const store = createChunkStore({ root, blockSize: BLOCK });
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    const kept = await sha256OfFile(volume);
    await writeVolume(volume, 64 * BLOCK, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(12), 64 * BLOCK) },
    ]);

    const abort = new AbortController();
    const attempt = store.createSnapshot({
      snapshotId: 'snap-2',
      volumePath: volume,
      signal: abort.signal,
      onProgress: ({ blocksDone }) => {
        if (blocksDone === 20) abort.abort(new Error('stopped by the test'));
      },
    });
    await expect(attempt).rejects.toThrow('stopped by the test');
    expect(await store.listSnapshots()).toEqual(['snap-1']);
    const orphans = (await storedBlockBytes(root)) / BLOCK - 64;
    expect(orphans).toBeGreaterThanOrEqual(20);
    expect(orphans).toBeLessThan(64);

    expect(await store.collectGarbage()).toEqual({ blocksFreed: orphans, leftoversRemoved: 0 });
    expect(await storedBlockBytes(root)).toBe(64 * BLOCK);
    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-1', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(kept);
  });

  it('a write failing mid-snapshot leaves no manifest and no temp file', async () => {
    const fs = createFsBlockBackend({ root });
    let puts = 0;
    const failing: BlockBackend = {
      ...fs,
      put: async (hash, data) => {
        if (++puts === 10) throw new Error('disk full');
        await fs.put(hash, data);
      },
    };
    const store = createChunkStore({ root, blockSize: BLOCK, blocks: failing });
    await expect(store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume })).rejects.toThrow(
      'disk full',
    );
    expect(await store.listSnapshots()).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    const written = await countBlocks();
    expect(written).toBeGreaterThanOrEqual(9);
    expect(await store.collectGarbage()).toEqual({ blocksFreed: written, leftoversRemoved: 0 });
    expect(await countBlocks()).toBe(0);
  });

  it('collects what a killed process left: temp blocks, temp manifests, blocks no manifest names', async () => {
    const store = createChunkStore({ root, blockSize: BLOCK });
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    // As a process killed mid-snapshot leaves them: half-written temp files and renamed blocks without a manifest.
    const orphan = 'ab'.repeat(32);
    await mkdir(join(root, 'blocks', 'ab'), { recursive: true });
    await writeFile(join(root, 'blocks', 'ab', orphan.slice(2)), Buffer.alloc(BLOCK, 7));
    await writeFile(join(root, 'tmp', `${'cd'.repeat(32)}.0123456789ab`), Buffer.alloc(1000, 7));
    await writeFile(join(root, 'snapshots', '.snap-2.0123456789ab.tmp'), '{"format":1,');

    expect(await store.listSnapshots()).toEqual(['snap-1']);
    expect(await store.collectGarbage()).toEqual({ blocksFreed: 1, leftoversRemoved: 2 });
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'snapshots'))).toEqual(['snap-1.json']);
    expect(await storedBlockBytes(root)).toBe(64 * BLOCK);
    // A block only in tmp/ does not count as stored, so a later snapshot writes it again.
    expect(await createFsBlockBackend({ root }).has('cd'.repeat(32))).toBe(false);
  });
});

async function countBlocks(): Promise<number> {
  let n = 0;
  for await (const _ of createFsBlockBackend({ root }).list()) n++;
  return n;
}
