/**
 * RunInstances sustained rate with workers that run nothing (the test worker:
 * the real WorkerService protocol, instances reported running at once), with
 * the real network, block-storage and image services behind it. Ours: LAUNCHES
 * calls of one instance each from CALLERS concurrent callers, timed until
 * every instance is running; also the call rate alone. k, the etcd writes a
 * launch costs end to end (all services: the instance, its volume, interface,
 * public IP, attachment, observation, console...), is measured as the store
 * revision's growth per launch. Baseline, in the same run on the same etcd:
 * raw single-key creates from the same number of callers. Goal (issue 6): the
 * launch rate at least 1/(k+1) of the raw write rate.
 *
 * Run: cd /work/main && node --conditions=nimbus-source --import tsx services/compute/bench/run-instances.bench.ts
 */
import { randomUUID } from 'node:crypto';
import { median, reportBench, waitUntil } from '@nimbus/testkit';
import { startComputeStack } from '../src/testing/compute-under-test.js';

const LAUNCHES = 150;
const CALLERS = 16;
const ROUNDS = 3;

const stack = await startComputeStack();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void stack.stop().finally(() => process.exit(1));
  });
}
await stack.worker({ workerName: 'bench-1a', zone: 'nimbus-1a', vcpus: 1_000_000, memoryMib: 1_000_000_000 });
const imageId = await stack.image();

async function concurrently(count: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return performance.now() - started;
}

async function raw(): Promise<number> {
  const prefix = `/bench-raw/${randomUUID()}/`;
  const ms = await concurrently(LAUNCHES * 5, (i) => stack.store.create(`${prefix}${i}`, '{"bench":true}'));
  return (LAUNCHES * 5) / (ms / 1000);
}

async function ours(): Promise<{ callRate: number; launchRate: number; k: number }> {
  const ids: string[] = [];
  const before = await stack.store.revision();
  const started = performance.now();
  const callMs = await concurrently(LAUNCHES, async () => {
    const run = await stack.client.runInstances({
      imageId,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    ids.push(run.instances[0]?.instanceId ?? '');
  });
  await waitUntil(
    async () => {
      const { reservations } = await stack.client.describeInstances({
        filters: [
          { name: 'instance-id', values: ids },
          { name: 'instance-state-name', values: ['running'] },
        ],
      });
      return reservations.reduce((n, r) => n + r.instances.length, 0) === ids.length;
    },
    { timeoutMs: 120_000, intervalMs: 20 },
  );
  const launchMs = performance.now() - started;
  const k = ((await stack.store.revision()) - before) / LAUNCHES;
  return { callRate: LAUNCHES / (callMs / 1000), launchRate: LAUNCHES / (launchMs / 1000), k };
}

const baseline: number[] = [];
const calls: number[] = [];
const launches: number[] = [];
const ks: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  baseline.push(await raw());
  const o = await ours();
  calls.push(o.callRate);
  launches.push(o.launchRate);
  ks.push(o.k);
}
const k = median(ks);

reportBench({
  suite: 'compute-run-instances',
  rounds: ROUNDS,
  figures: [
    {
      name: `launches to running per second, ${CALLERS} callers (k = ${k.toFixed(1)} etcd writes per launch)`,
      unit: 'launches/s',
      value: median(launches),
      baseline: median(baseline),
      baselineName: `raw etcd creates/s, ${CALLERS} callers`,
      goal: { minRatio: Number((1 / (k + 1)).toFixed(4)) },
    },
    { name: 'RunInstances calls per second', unit: 'calls/s', value: median(calls) },
    { name: 'etcd writes per launch (k)', unit: 'writes', value: k },
  ],
});

await stack.stop();
