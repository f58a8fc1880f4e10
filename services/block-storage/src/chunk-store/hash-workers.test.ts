import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HASH_ON_THREADS_MIN_BYTES, laneBuffers } from './block-pool.js';
import { resolveChunkStoreOptions } from './chunk-store-options.js';
import { createSnapshot } from './create-snapshot.js';
import { createHashWorkers } from './hash-workers.js';
import { restoreSnapshot } from './restore-snapshot.js';
import {
  makeTempDir,
  randomBytesFrom,
  removeTempDirs,
  seededRandom,
  sha256OfFile,
  writeVolume,
} from './test-volumes.js';

afterEach(removeTempDirs);

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('hash workers', () => {
  it('hash shared and plain buffers like node:crypto, then leave no thread running', async () => {
    const workers = createHashWorkers(2);
    const random = seededRandom(21);
    const [a, b] = laneBuffers(2, 64 * 1024, true) as [Buffer, Buffer];
    randomBytesFrom(random, a.length).copy(a);
    randomBytesFrom(random, b.length).copy(b);
    // A plain view into a larger buffer: only the view's bytes count.
    const plain = randomBytesFrom(random, 10_000).subarray(100, 5_000);
    const hashes = await workers.run(async (hash) => {
      expect(workers.threadsAlive).toBe(2);
      return Promise.all([hash(a), hash(b.subarray(0, 1000)), hash(plain)]);
    });
    expect(hashes).toEqual([sha256(a), sha256(b.subarray(0, 1000)), sha256(plain)]);
    expect(workers.threadsAlive).toBe(0);
  });

  it('keep one set of threads for overlapping runs and stop them when the last ends, even on failure', async () => {
    const workers = createHashWorkers(2);
    const data = Buffer.from('block');
    let release = (): void => {};
    let held = (): void => {};
    // Resolves once the first run holds its threads and waits, so that releasing it is never a no-op.
    const holding = new Promise<void>((resolve) => {
      held = resolve;
    });
    const first = workers.run(async (hash) => {
      await hash(data);
      await new Promise<void>((resolve) => {
        release = resolve;
        held();
      });
    });
    const second = workers.run(async (hash) => {
      await hash(data);
      expect(workers.threadsAlive).toBe(2);
      throw new Error('failed by the test');
    });
    await expect(second).rejects.toThrow('failed by the test');
    await holding;
    expect(workers.threadsAlive).toBe(2);
    release();
    await first;
    expect(workers.threadsAlive).toBe(0);
    // And start again afterwards.
    expect(await workers.run((hash) => hash(data))).toBe(sha256(data));
    expect(workers.threadsAlive).toBe(0);
  });

  it('a snapshot and restore large enough for threads hash on them, are exact and leave no thread running', async () => {
    const dir = await makeTempDir();
    const volume = join(dir, 'vol');
    const size = HASH_ON_THREADS_MIN_BYTES + 3 * 64 * 1024 + 123;
    // Enough stored blocks that the restore's check runs on threads too; the last two blocks are holes.
    await writeVolume(volume, size, [
      { offset: 0, bytes: randomBytesFrom(seededRandom(22), HASH_ON_THREADS_MIN_BYTES + 100_000) },
    ]);
    const options = resolveChunkStoreOptions({ root: join(dir, 'store'), blockSize: 64 * 1024 });
    let threadsSeen = 0;
    const onProgress = () => {
      threadsSeen = Math.max(threadsSeen, options.hashWorkers.threadsAlive);
    };
    const { manifest } = await createSnapshot(options, {
      snapshotId: 'snap-1',
      volumePath: volume,
      onProgress,
    });
    expect(threadsSeen).toBeGreaterThan(0);
    expect(manifest.blocks.filter((h) => h !== null)).toHaveLength(512 + 2);
    expect(options.hashWorkers.threadsAlive).toBe(0);
    const restored = join(dir, 'restored');
    threadsSeen = 0;
    await restoreSnapshot(options, { snapshotId: 'snap-1', volumePath: restored, onProgress });
    expect(options.hashWorkers.threadsAlive).toBe(0);
    expect(await sha256OfFile(restored)).toBe(await sha256OfFile(volume));
    expect(threadsSeen).toBeGreaterThan(0);
  });
});
