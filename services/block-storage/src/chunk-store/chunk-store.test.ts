import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChangedBlockTracker } from './changed-block-tracker.js';
import { createChunkStore } from './chunk-store.js';
import { BlockCorruptedError, SnapshotExistsError, SnapshotNotFoundError } from './errors.js';
import { type BlockProgress, progressPercent } from './progress.js';
import {
  allocatedBytes,
  makeTempDir,
  randomBytesFrom,
  removeTempDirs,
  seededRandom,
  sha256OfFile,
  storedBlockBytes,
  writeVolume,
} from './test-volumes.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK = 64 * KiB;

let dir: string;
let root: string;
beforeEach(async () => {
  dir = await makeTempDir();
  root = join(dir, 'store');
});
afterEach(removeTempDirs);

describe('chunk store', () => {
  it('restores exactly the bytes snapshotted, including a short last block and zero runs', async () => {
    const random = seededRandom(1);
    const volume = join(dir, 'vol');
    const size = 8 * MiB + 12_345;
    await writeVolume(volume, size, [
      { offset: 0, bytes: randomBytesFrom(random, 3 * MiB + 7) },
      { offset: 5 * MiB + 3, bytes: randomBytesFrom(random, 3 * MiB) },
    ]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    const created = await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    expect(created.manifest).toMatchObject({ volumeSize: size, blockSize: BLOCK });
    expect(created.manifest.blocks).toHaveLength(Math.ceil(size / BLOCK));

    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-1', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
    expect((await readFile(restored)).length).toBe(size);
  });

  it('records zero blocks as holes, stores none of them, and restores them sparse', async () => {
    const random = seededRandom(2);
    const volume = join(dir, 'vol');
    await writeVolume(volume, 64 * MiB, [{ offset: 10 * MiB, bytes: randomBytesFrom(random, MiB) }]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    const created = await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    expect(created.holes).toBe(1024 - 16);
    expect(created.bytesStored).toBe(MiB);
    expect(await storedBlockBytes(root)).toBe(MiB);

    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-1', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
    // 64 MiB long, but only the 1 MiB of data is allocated (plus a little filesystem slack).
    expect(await allocatedBytes(restored)).toBeLessThan(MiB + 256 * KiB);
  });

  it('stores about 1% new bytes after 1% of the volume changed, with or without a change record', async () => {
    const random = seededRandom(3);
    const volume = join(dir, 'vol');
    const size = 64 * MiB;
    await writeVolume(volume, size, [{ offset: 0, bytes: randomBytesFrom(random, size) }]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    const before = await storedBlockBytes(root);
    expect(before).toBe(size);

    // 1% of the volume, in four runs at unaligned offsets, as a guest's writes would land.
    const tracker = createChangedBlockTracker(BLOCK);
    const run = Math.floor(size / 100 / 4);
    const writes = [3, 17, 40, 61].map((mib) => ({
      offset: mib * MiB + 4097,
      bytes: randomBytesFrom(random, run),
    }));
    await writeVolume(volume, size, writes);
    for (const w of writes) tracker.markWritten(w.offset, w.bytes.length);
    const changed = tracker.take();

    const scanned = await store.createSnapshot({ snapshotId: 'snap-2', volumePath: volume });
    const afterScan = await storedBlockBytes(root);
    const tracked = await store.createSnapshot({
      snapshotId: 'snap-3',
      volumePath: volume,
      parentSnapshotId: 'snap-1',
      changedBlocks: changed,
    });

    const newBytes = afterScan - before;
    expect(newBytes).toBe(scanned.bytesStored);
    // Each unaligned run touches one block more than its length: 1.39% here; nothing near a full copy.
    expect(newBytes / size).toBeGreaterThanOrEqual(0.01);
    expect(newBytes / size).toBeLessThan(0.015);
    expect(scanned.blocksRead).toBe(1024);
    expect(tracked.blocksRead).toBe(changed.length);
    expect(tracked.bytesStored).toBe(0);
    expect(tracked.manifest.blocks).toEqual(scanned.manifest.blocks);

    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-3', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
  });

  it('stores a block that repeats within the volume once', async () => {
    const block = randomBytesFrom(seededRandom(4), BLOCK);
    const volume = join(dir, 'vol');
    await writeVolume(
      volume,
      8 * BLOCK,
      [0, 1, 2, 5].map((i) => ({ offset: i * BLOCK, bytes: block })),
    );
    const store = createChunkStore({ root, blockSize: BLOCK, concurrency: 4 });
    const created = await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    expect(created.blocksStored).toBe(1);
    expect(new Set(created.manifest.blocks.filter((h) => h !== null)).size).toBe(1);
  });

  it('reports progress in blocks, rising to the total, as the EC2 percentage', async () => {
    const volume = join(dir, 'vol');
    await writeVolume(volume, 40 * BLOCK, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(5), 20 * BLOCK) },
    ]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    const seen: BlockProgress[] = [];
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume, onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => p.blocksTotal)).toEqual(seen.map(() => 40));
    const done = seen.map((p) => p.blocksDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(done.at(-1)).toBe(40);
    expect(progressPercent(seen[0] as BlockProgress)).toBe('0%');
    expect(progressPercent({ blocksDone: 39, blocksTotal: 40 })).toBe('97%');
    expect(progressPercent(seen.at(-1) as BlockProgress)).toBe('100%');
  });

  it('deleting a snapshot frees only the blocks no other snapshot uses', async () => {
    const random = seededRandom(6);
    const volume = join(dir, 'vol');
    await writeVolume(volume, 16 * BLOCK, [{ offset: 0, bytes: randomBytesFrom(random, 16 * BLOCK) }]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    await writeVolume(volume, 16 * BLOCK, [{ offset: 0, bytes: randomBytesFrom(random, 2 * BLOCK) }]);
    await store.createSnapshot({ snapshotId: 'snap-2', volumePath: volume });
    expect(await storedBlockBytes(root)).toBe(18 * BLOCK);

    expect(await store.deleteSnapshot('snap-1')).toEqual({ blocksFreed: 2 });
    expect(await storedBlockBytes(root)).toBe(16 * BLOCK);
    const restored = join(dir, 'restored');
    await store.restoreSnapshot({ snapshotId: 'snap-2', volumePath: restored });
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
    expect(await store.deleteSnapshot('snap-2')).toEqual({ blocksFreed: 16 });
    expect(await storedBlockBytes(root)).toBe(0);
    await expect(store.deleteSnapshot('snap-2')).rejects.toBeInstanceOf(SnapshotNotFoundError);
  });

  it('refuses a snapshot id already taken and leaves the first manifest as it was', async () => {
    const volume = join(dir, 'vol');
    await writeVolume(volume, 4 * BLOCK, [{ offset: 0, bytes: randomBytesFrom(seededRandom(7), BLOCK) }]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    const first = await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    await writeVolume(volume, 4 * BLOCK, [{ offset: 0, bytes: randomBytesFrom(seededRandom(8), BLOCK) }]);
    await expect(store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume })).rejects.toBeInstanceOf(
      SnapshotExistsError,
    );
    expect(await store.getManifest('snap-1')).toEqual(first.manifest);
    expect(await store.listSnapshots()).toEqual(['snap-1']);
  });

  it('refuses to restore a block whose bytes no longer match its hash', async () => {
    const volume = join(dir, 'vol');
    await writeVolume(volume, BLOCK, [{ offset: 0, bytes: randomBytesFrom(seededRandom(9), BLOCK) }]);
    const store = createChunkStore({ root, blockSize: BLOCK });
    const { manifest } = await store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume });
    const hash = manifest.blocks[0] as string;
    await writeFile(join(root, 'blocks', hash.slice(0, 2), hash.slice(2)), Buffer.alloc(BLOCK, 1));
    const restored = join(dir, 'restored');
    await expect(
      store.restoreSnapshot({ snapshotId: 'snap-1', volumePath: restored }),
    ).rejects.toBeInstanceOf(BlockCorruptedError);
    await expect(readFile(restored)).rejects.toThrow(/ENOENT/);
  });
});
