/**
 * ext4 on a new blank volume (volume-files/make-filesystem.ts): Nimbus's
 * mke2fs with lazy inode-table and journal init on the sparse volume file,
 * against mke2fs with its default options on the same size, in the same run;
 * both followed by `sync`, so the writes are paid for. Figures: seconds, and
 * MiB of disk the file takes afterwards. On a sparse file the default's
 * journal and inode tables are allocated with zero-range calls rather than
 * written, so the two take about the same time; what lazy init saves is disk
 * (about 1% of the default's). The 15 TiB figure (the largest file
 * an ext4 host holds is just under 16 TiB) has an absolute goal: a create call
 * must stay well under the API's patience.
 *
 * Run: node --conditions=nimbus-source --import tsx services/block-storage/bench/mkfs.bench.ts
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, reportBench } from '@nimbus/testkit';
import { makeExt4 } from '../src/volume-files/make-filesystem.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const ROUNDS = Number(process.env.MKFS_BENCH_ROUNDS ?? 3);
const run = promisify(execFile);

const dir = await mkdtemp(join(tmpdir(), 'nimbus-mkfs-bench-'));
const cleanUp = () => rm(dir, { recursive: true, force: true });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
}

/** Seconds to make the filesystem on a fresh sparse file of `bytes`, and the MiB of disk it then takes. */
async function measure(bytes: number, make: (path: string) => Promise<unknown>) {
  const path = join(dir, 'volume.img');
  await writeFile(path, '');
  await truncate(path, bytes);
  await run('sync');
  const started = performance.now();
  await make(path);
  await run('sync', [path]);
  const seconds = (performance.now() - started) / 1000;
  const used = ((await stat(path)).blocks * 512) / MiB;
  await rm(path);
  return { seconds, used };
}

const defaultMkfs = (path: string) => run('mke2fs', ['-F', '-q', '-t', 'ext4', path]);

try {
  const lazy64: number[] = [];
  const default64: number[] = [];
  const lazyUsed64: number[] = [];
  const defaultUsed64: number[] = [];
  const lazy15T: number[] = [];
  const lazyUsed15T: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const a = await measure(64 * GiB, makeExt4);
    const b = await measure(64 * GiB, defaultMkfs);
    lazy64.push(a.seconds);
    lazyUsed64.push(a.used);
    default64.push(b.seconds);
    defaultUsed64.push(b.used);
    const c = await measure(15 * 1024 * GiB, makeExt4);
    lazy15T.push(c.seconds);
    lazyUsed15T.push(c.used);
  }
  const vsDefault = { baseline: median(default64), baselineName: 'mke2fs, default options', unit: 's' };
  reportBench({
    suite: 'mkfs',
    rounds: ROUNDS,
    figures: [
      {
        name: 'ext4 on a 64 GiB volume, lazy init',
        value: median(lazy64),
        ...vsDefault,
        goal: { maxRatio: 0.5 },
      },
      {
        name: 'disk taken by a 64 GiB volume, lazy init',
        value: median(lazyUsed64),
        baseline: median(defaultUsed64),
        baselineName: 'mke2fs, default options',
        unit: 'MiB',
        goal: { maxRatio: 0.5 },
      },
      { name: 'ext4 on a 15 TiB volume, lazy init', value: median(lazy15T), unit: 's', goal: { max: 5 } },
      { name: 'disk taken by a 15 TiB volume, lazy init', value: median(lazyUsed15T), unit: 'MiB' },
    ],
  });
} finally {
  await cleanUp();
}
