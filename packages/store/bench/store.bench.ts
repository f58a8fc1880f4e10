/**
 * Create+update throughput and latency of the etcd store against the raw etcd3
 * client sending the same transactions (put-if-absent on create revision 0,
 * then put-if-mod-revision), on one real etcd. Rounds alternate between the
 * two sides; each figure is the median over rounds.
 *
 * Run: node --conditions=nimbus-source --import tsx packages/store/bench/store.bench.ts
 */
import { median, percentile, reportBench, startEtcd } from '@nimbus/testkit';
import { Etcd3 } from 'etcd3';
import { openEtcdStore } from '../src/index.js';

const KEYS = 2_000;
const CONCURRENCY = 16;
const ROUNDS = 9;

interface RoundResult {
  opsPerSecond: number;
  p50: number;
  p99: number;
}

/** Runs `createThenUpdate` for KEYS keys, CONCURRENCY at a time, timing each write. */
async function measure(createThenUpdate: (key: string, time: (ms: number) => void) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < KEYS) {
        const key = `k${(next++).toString().padStart(6, '0')}`;
        await createThenUpdate(key, (ms) => latencies.push(ms));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    opsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function timed<T>(time: (ms: number) => void, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await call();
  time(performance.now() - started);
  return result;
}

const etcd = await startEtcd();
// etcd runs detached: when `pnpm bench` stops an overrunning bench (SIGTERM), or on Ctrl-C, stop it too.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void etcd.dispose().finally(() => process.exit(1)));
}
const store = await openEtcdStore({ endpoints: [etcd.endpoint] });
const raw = new Etcd3({ hosts: etcd.endpoint });
try {
  const ours = (round: string) =>
    measure(async (key, time) => {
      const created = await timed(time, () => store.create(`/bench/ours/${round}/${key}`, '{"v":1}'));
      if (!created.ok) throw new Error(`create of ${key} failed`);
      const updated = await timed(time, () =>
        store.update(`/bench/ours/${round}/${key}`, '{"v":2}', created.revision),
      );
      if (!updated.ok) throw new Error(`update of ${key} failed`);
    });
  const baseline = (round: string) =>
    measure(async (key, time) => {
      const full = `/bench/raw/${round}/${key}`;
      const created = await timed(time, () =>
        raw.if(full, 'Create', '==', 0).then(raw.put(full).value('{"v":1}')).commit(),
      );
      if (!created.succeeded) throw new Error(`create of ${key} failed`);
      const updated = await timed(time, () =>
        raw.if(full, 'Mod', '==', created.header.revision).then(raw.put(full).value('{"v":2}')).commit(),
      );
      if (!updated.succeeded) throw new Error(`update of ${key} failed`);
    });

  await ours('warmup');
  await baseline('warmup');
  const results = { ours: [] as RoundResult[], baseline: [] as RoundResult[] };
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      results.ours.push(await ours(`r${round}`));
      results.baseline.push(await baseline(`r${round}`));
    } else {
      results.baseline.push(await baseline(`r${round}`));
      results.ours.push(await ours(`r${round}`));
    }
  }
  const mid = (side: RoundResult[], pick: (result: RoundResult) => number) => median(side.map(pick));
  const baselineName = 'raw etcd3 client, same transactions';
  reportBench({
    suite: 'store',
    rounds: ROUNDS,
    figures: [
      {
        name: 'store.create_update.ops_per_s',
        unit: 'writes/s',
        value: mid(results.ours, (r) => r.opsPerSecond),
        baseline: mid(results.baseline, (r) => r.opsPerSecond),
        baselineName,
        goal: { minRatio: 0.8 },
      },
      {
        name: 'store.create_update.p50_ms',
        unit: 'ms',
        value: mid(results.ours, (r) => r.p50),
        baseline: mid(results.baseline, (r) => r.p50),
        baselineName,
      },
      {
        name: 'store.create_update.p99_ms',
        unit: 'ms',
        value: mid(results.ours, (r) => r.p99),
        baseline: mid(results.baseline, (r) => r.p99),
        baselineName,
      },
    ],
  });
} finally {
  raw.close();
  await store.close();
  await etcd.dispose();
}
