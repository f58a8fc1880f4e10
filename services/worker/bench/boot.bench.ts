/**
 * Boot time on the process runtime: 50 instances started at once, each until
 * its boot command (a small Node HTTP server on its private IP) answers, p50
 * and p99 over the 50. Baseline, in the same run and the same way: a bare
 * spawn of the same command in the same directory, 50 at once. What the
 * runtime adds is its bookkeeping (state files before each step, cgroups
 * with the type's limits, the metadata endpoint, the init shell); with
 * mounted roots also the loop device and ext4 mount of each root volume.
 * Goal (issue 6, there from RunInstances to running): at most 1.5 times the
 * bare spawn plus 300 ms, p99 at most 5 s. Each side is the median of its
 * rounds.
 *
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/worker/bench/boot.bench.ts
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectDeviceFacilities } from '@nimbus/block-storage';
import { createLogger } from '@nimbus/runtime';
import { type BenchFigure, median, percentile, reportBench, waitUntil } from '@nimbus/testkit';
import { createMetadataService } from '../src/imds/metadata-service.js';
import { deviceRootVolumes } from '../src/process/device-root-volumes.js';
import { createProcessRuntime } from '../src/process/process-runtime.js';
import type { RootVolumes } from '../src/process/root-volumes.js';
import type { InstanceSpec } from '../src/runtime/instance-spec.js';
import { httpServerSource, makeTestInstance } from '../src/testing/test-instances.js';

const INSTANCES = 50;
const ROUNDS = 3;
const logger = createLogger({ service: 'bench', level: 'silent' });
const home = await mkdtemp(join(tmpdir(), 'nimbus-worker-bench-'));
process.once('SIGTERM', () => {
  void rm(home, { recursive: true, force: true }).finally(() => process.exit(1));
});

const answers = async (url: string) => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
};

/** Milliseconds from `start()` until the URL answers, for each instance, all started at once. */
async function timeBoots(
  instances: { url: string }[],
  start: (index: number) => Promise<unknown> | unknown,
): Promise<number[]> {
  return Promise.all(
    instances.map(async (instance, index) => {
      const began = performance.now();
      await start(index);
      await waitUntil(() => answers(instance.url), { timeoutMs: 30_000, intervalMs: 50 });
      return performance.now() - began;
    }),
  );
}

async function makeInstances(dir: string): Promise<{ spec: InstanceSpec; url: string; root: string }[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(Array.from({ length: INSTANCES }, () => makeTestInstance(dir)));
}

async function bareRound(dir: string): Promise<number[]> {
  const instances = await makeInstances(dir);
  const children: ChildProcess[] = [];
  try {
    return await timeBoots(instances, (i) => {
      const { spec, root } = instances[i] as (typeof instances)[number];
      children.push(
        spawn('/bin/sh', ['-c', spec.bootCommand], { cwd: root, stdio: 'ignore', detached: true }),
      );
    });
  } finally {
    for (const child of children) if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }
}

async function runtimeRound(
  dir: string,
  rootVolumes?: RootVolumes,
  volumeFiles?: string[],
): Promise<number[]> {
  const instances = await makeInstances(dir);
  const runtime = createProcessRuntime({
    home: join(dir, 'worker'),
    workerId: randomBytes(8).toString('hex'),
    logger,
    metadata: createMetadataService({ tokenKey: randomBytes(32), logger }),
    ...(rootVolumes ? { rootVolumes } : {}),
    stopGraceMs: 0,
  });
  await runtime.recover();
  try {
    return await timeBoots(instances, (i) => {
      const { spec } = instances[i] as (typeof instances)[number];
      const hostPath = volumeFiles?.[i];
      return runtime.start(
        hostPath ? { ...spec, rootVolume: { volumeId: spec.rootVolume.volumeId, hostPath } } : spec,
      );
    });
  } finally {
    await runtime.close();
  }
}

/** One ext4 volume file per instance holding the server, as a root volume made from an image would. */
async function volumeFiles(dir: string): Promise<string[]> {
  const content = join(dir, 'content');
  await mkdir(content, { recursive: true });
  await writeFile(join(content, 'server.cjs'), httpServerSource);
  const files: string[] = [];
  for (let i = 0; i < INSTANCES; i++) {
    const file = join(dir, `vol-${i}.img`);
    execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', content, file, '16M']);
    files.push(file);
  }
  return files;
}

const sides: Record<'bare' | 'directory' | 'mounted', { p50: number[]; p99: number[] }> = {
  bare: { p50: [], p99: [] },
  directory: { p50: [], p99: [] },
  mounted: { p50: [], p99: [] },
};
const record = (side: keyof typeof sides, samples: number[]) => {
  sides[side].p50.push(percentile(samples, 50));
  sides[side].p99.push(percentile(samples, 99));
};
const canMount = (await detectDeviceFacilities()).missing.length === 0;

try {
  for (let round = 0; round < ROUNDS; round++) {
    const dir = join(home, `round-${round}`);
    record('bare', await bareRound(join(dir, 'bare')));
    record('directory', await runtimeRound(join(dir, 'directory')));
    if (canMount) {
      const files = await volumeFiles(join(dir, 'volumes'));
      const mountedDir = join(dir, 'mounted');
      record(
        'mounted',
        await runtimeRound(mountedDir, deviceRootVolumes(join(mountedDir, 'roots'), logger), files),
      );
    }
    await rm(dir, { recursive: true, force: true });
  }
  const allowance = (bare: number) => 1.5 * bare + 300;
  const bareP50 = median(sides.bare.p50);
  const bareP99 = median(sides.bare.p99);
  const figures: BenchFigure[] = [];
  for (const side of canMount ? (['directory', 'mounted'] as const) : (['directory'] as const)) {
    const what = side === 'directory' ? 'directory roots' : 'mounted ext4 roots';
    figures.push(
      {
        name: `boot to serving p50, ${INSTANCES} at once, ${what}`,
        unit: 'ms',
        value: median(sides[side].p50),
        baseline: allowance(bareP50),
        baselineName: `1.5 x bare spawn p50 (${bareP50.toFixed(0)} ms) + 300 ms`,
        goal: { maxRatio: 1 },
      },
      {
        name: `boot to serving p99, ${INSTANCES} at once, ${what}`,
        unit: 'ms',
        value: median(sides[side].p99),
        baseline: allowance(bareP99),
        baselineName: `1.5 x bare spawn p99 (${bareP99.toFixed(0)} ms) + 300 ms`,
        goal: { maxRatio: 1, max: 5_000 },
      },
    );
  }
  if (!canMount) console.error('mounted roots not measured: this host lacks root, loop devices or blkio');
  reportBench({ suite: 'worker boot', rounds: ROUNDS, figures });
} finally {
  await rm(home, { recursive: true, force: true });
}
