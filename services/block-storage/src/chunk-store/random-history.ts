/**
 * A random history of a changing volume, for the chunk store's property tests
 * on every backend: writes (random bytes or zeros, at unaligned offsets),
 * resizes, snapshots (full reads, or incremental from the previous one with
 * the change record), deletions in random order and sweeps. After every step
 * each remaining snapshot restores to the exact bytes it was taken of; after
 * every sweep the store holds exactly the blocks some manifest names.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { BlockBackend } from './block-backend.js';
import { createChangedBlockTracker } from './changed-block-tracker.js';
import type { ChunkStore } from './chunk-store.js';
import { randomBytesFrom, seededRandom, sha256OfFile, writeVolume } from './test-volumes.js';

export interface RandomHistoryOptions {
  seed: number;
  steps: number;
  blockSize: number;
  /** A volume starts at `minBlocks` plus up to `extraBlocks` blocks. */
  minBlocks: number;
  extraBlocks: number;
  /** A working directory for the volume and restores. */
  dir: string;
  /** The store under test, given a concurrency. */
  open: (concurrency: number) => ChunkStore;
  /** Where it keeps its blocks, read directly after each sweep. */
  blocks: BlockBackend;
}

export async function runRandomHistory(options: RandomHistoryOptions): Promise<void> {
  const { seed, dir, blockSize: BLOCK } = options;
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const volume = join(dir, 'vol');
  const store = options.open(1 + pick(4));
  const tracker = createChangedBlockTracker(BLOCK);
  let size = BLOCK * (options.minBlocks + pick(options.extraBlocks)) + pick(BLOCK);
  await writeVolume(volume, size, [{ offset: 0, bytes: randomBytesFrom(random, pick(size)) }]);
  tracker.take();
  /** Snapshot id -> sha256 of the volume when it was taken. */
  const expected = new Map<string, string>();
  let previous: string | undefined;
  let taken = 0;

  for (let step = 0; step < options.steps; step++) {
    const action = pick(10);
    if (action < 4) {
      const writes = Array.from({ length: 1 + pick(3) }, () => {
        const offset = pick(size);
        const length = 1 + pick(Math.min(3 * BLOCK, size - offset));
        return { offset, bytes: random() < 0.3 ? Buffer.alloc(length) : randomBytesFrom(random, length) };
      });
      await writeVolume(volume, size, writes);
      for (const w of writes) tracker.markWritten(w.offset, w.bytes.length);
    } else if (action < 5) {
      size = Math.max(1, size + (pick(8 * BLOCK) - 4 * BLOCK));
      await writeVolume(volume, size);
    } else if (action < 8) {
      const snapshotId = `snap-${seed}-${taken++}`;
      const changedBlocks = tracker.take();
      const incremental = previous !== undefined && expected.has(previous) && random() < 0.7;
      await store.createSnapshot({
        snapshotId,
        volumePath: volume,
        ...(incremental ? { parentSnapshotId: previous, changedBlocks } : {}),
      });
      expected.set(snapshotId, await sha256OfFile(volume));
      previous = snapshotId;
    } else if (action < 9 && expected.size > 0) {
      const ids = [...expected.keys()];
      const victim = ids[pick(ids.length)] as string;
      await store.deleteSnapshot(victim);
      expected.delete(victim);
    } else {
      await store.collectGarbage();
      const referenced = new Set<string>();
      for (const id of await store.listSnapshots()) {
        for (const h of (await store.getManifest(id)).blocks) if (h !== null) referenced.add(h);
      }
      const stored = new Set<string>();
      for await (const h of options.blocks.list()) stored.add(h);
      expect(stored, `seed ${seed} step ${step}`).toEqual(referenced);
    }

    expect((await store.listSnapshots()).sort()).toEqual([...expected.keys()].sort());
    for (const [snapshotId, sha] of expected) {
      const restored = join(dir, 'restored');
      await store.restoreSnapshot({ snapshotId, volumePath: restored });
      expect(await sha256OfFile(restored), `seed ${seed} step ${step} ${snapshotId}`).toBe(sha);
      expect((await readFile(restored)).length).toBe((await store.getManifest(snapshotId)).volumeSize);
    }
  }
}
