/**
 * Snapshot and restore of a 1 GiB volume of random bytes against copying the
 * same file, in the same run, in a temp dir on the same filesystem. Like is
 * compared with like: the store's default (`durable`, every block fsync'd
 * before it is named, the manifest fsync'd) against `cp` then `sync` of the
 * copy; the store with `durable: false` (no fsync at all) against plain `cp`,
 * which does not fsync either. Durable figures are also shown against plain
 * cp, for information.
 * - first snapshot (every block read, hashed, stored);
 * - second snapshot after 1% of the volume changed, with the change record
 *   the volume's write path keeps (only changed blocks are read);
 * - the same second snapshot reading the whole volume (no change record, as
 *   after a restart), for information;
 * - restore (every block read, verified against its hash, written).
 * Figures are volume MiB per second of wall time; rounds alternate between
 * the sides and each figure is the median over rounds.
 *
 * Run: node --conditions=nimbus-source --import tsx services/block-storage/bench/snapshot.bench.ts
 */
import { execFile } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, reportBench } from '@nimbus/testkit';
import { createChangedBlockTracker, createChunkStore } from '../src/chunk-store/index.js';

const MiB = 1 << 20;
const VOLUME_SIZE = 1024 * MiB;
const ROUNDS = Number(process.env.SNAPSHOT_BENCH_ROUNDS ?? 5);
const run = promisify(execFile);

const dir = await mkdtemp(join(tmpdir(), 'nimbus-snapshot-bench-'));
const cleanUp = () => rm(dir, { recursive: true, force: true });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  // Dirty pages of the previous step are written back first, so no side pays for another's.
  await run('sync');
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

try {
  const volume = join(dir, 'volume');
  const file = await open(volume, 'w');
  const chunk = Buffer.allocUnsafe(16 * MiB);
  for (let offset = 0; offset < VOLUME_SIZE; offset += chunk.length) {
    await file.write(randomFillSync(chunk), 0, chunk.length, offset);
  }

  const speed = (s: number) => VOLUME_SIZE / MiB / s;
  const cp: number[] = [];
  const cpSync: number[] = [];
  const firstNoSync: number[] = [];
  const restoreNoSync: number[] = [];
  const first: number[] = [];
  const second: number[] = [];
  const secondFullRead: number[] = [];
  const restore: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const copy = join(dir, 'copy');
    cp.push(speed(await seconds(() => run('cp', [volume, copy]))));
    await rm(copy);
    cpSync.push(
      speed(
        await seconds(async () => {
          await run('cp', [volume, copy]);
          await run('sync', [copy]);
        }),
      ),
    );
    await rm(copy);

    const rootNoSync = join(dir, 'store-no-sync');
    const noSync = createChunkStore({ root: rootNoSync, durable: false });
    firstNoSync.push(
      speed(await seconds(() => noSync.createSnapshot({ snapshotId: 'snap-1', volumePath: volume }))),
    );
    const restoredNoSync = join(dir, 'restored-no-sync');
    restoreNoSync.push(
      speed(
        await seconds(() => noSync.restoreSnapshot({ snapshotId: 'snap-1', volumePath: restoredNoSync })),
      ),
    );
    await rm(restoredNoSync);
    await rm(rootNoSync, { recursive: true });

    const root = join(dir, 'store');
    const store = createChunkStore({ root });
    first.push(
      speed(await seconds(() => store.createSnapshot({ snapshotId: 'snap-1', volumePath: volume }))),
    );

    // 1% of the volume, as eight runs at unaligned offsets.
    const tracker = createChangedBlockTracker(store.blockSize);
    const run1 = Math.floor(VOLUME_SIZE / 100 / 8);
    for (let i = 0; i < 8; i++) {
      const offset = Math.floor(((i + Math.random()) * VOLUME_SIZE) / 8) - run1;
      await file.write(randomFillSync(chunk.subarray(0, run1)), 0, run1, Math.max(0, offset));
      tracker.markWritten(Math.max(0, offset), run1);
    }
    const changedBlocks = tracker.take();
    second.push(
      speed(
        await seconds(() =>
          store.createSnapshot({
            snapshotId: 'snap-2',
            volumePath: volume,
            parentSnapshotId: 'snap-1',
            changedBlocks,
          }),
        ),
      ),
    );
    secondFullRead.push(
      speed(await seconds(() => store.createSnapshot({ snapshotId: 'snap-3', volumePath: volume }))),
    );

    const restored = join(dir, 'restored');
    restore.push(
      speed(await seconds(() => store.restoreSnapshot({ snapshotId: 'snap-2', volumePath: restored }))),
    );
    await rm(restored);
    await rm(root, { recursive: true });
  }
  await file.close();

  const vsCp = { baseline: median(cp), baselineName: 'cp (no fsync)', unit: 'MiB/s' };
  const vsCpSync = { baseline: median(cpSync), baselineName: 'cp then sync of the copy', unit: 'MiB/s' };
  reportBench({
    suite: 'snapshot',
    rounds: ROUNDS,
    figures: [
      { name: 'first snapshot of 1 GiB, fsync', value: median(first), ...vsCpSync, goal: { minRatio: 0.5 } },
      {
        name: 'first snapshot of 1 GiB, no fsync',
        value: median(firstNoSync),
        ...vsCp,
        goal: { minRatio: 0.5 },
      },
      { name: 'first snapshot of 1 GiB, fsync, vs cp', value: median(first), ...vsCp },
      {
        name: 'second snapshot, 1% changed, fsync',
        value: median(second),
        ...vsCpSync,
        goal: { minRatio: 10 },
      },
      { name: 'second snapshot, 1% changed, fsync, vs cp', value: median(second), ...vsCp },
      {
        name: 'second snapshot, 1% changed, whole volume read, fsync',
        value: median(secondFullRead),
        ...vsCpSync,
      },
      { name: 'restore of 1 GiB, fsync', value: median(restore), ...vsCpSync, goal: { minRatio: 0.5 } },
      { name: 'restore of 1 GiB, no fsync', value: median(restoreNoSync), ...vsCp, goal: { minRatio: 0.5 } },
      { name: 'restore of 1 GiB, fsync, vs cp', value: median(restore), ...vsCp },
    ],
  });
} finally {
  await cleanUp();
}
