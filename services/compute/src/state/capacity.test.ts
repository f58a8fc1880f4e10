import { randomUUID } from 'node:crypto';
import { createRecords } from '@nimbus/service-kit';
import { openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, startEtcd } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCapacity } from './capacity.js';
import { computeKeys } from './compute-keys.js';
import { freeCapacity, type WorkerRecord } from './worker-records.js';

let etcd: EtcdServer;
let store: Store;

beforeAll(async () => {
  etcd = await startEtcd();
  store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: `/t-${randomUUID()}` });
});
afterAll(async () => {
  await store?.close();
  await etcd?.dispose();
});

const addWorker = async (workerName: string, vcpus: number) => {
  const record: WorkerRecord = {
    workerName,
    zone: 'nimbus-1a',
    vcpus,
    memoryMib: vcpus * 1024,
    runtime: 'fake',
    address: '127.0.0.1:1',
    bootId: 'b',
    limitsEnforced: false,
    ready: true,
    registeredAt: new Date().toISOString(),
    leaseId: '0',
    allocated: { vcpus: 0, memoryMib: 0 },
  };
  await createRecords<WorkerRecord>(store).create(computeKeys.worker(workerName), record);
};

describe('capacity claims', () => {
  it('never overcommit a worker under concurrent claims', async () => {
    await addWorker('busy-1', 10);
    await addWorker('busy-2', 6);
    const capacity = createCapacity(store);
    const request = { zone: 'nimbus-1a', runtime: '', need: { vcpus: 2, memoryMib: 2048 } };
    // 40 launches of one instance each, at once, for room for 8.
    const placed = await Promise.all(
      Array.from({ length: 40 }, (_, i) => capacity.claimOne(request, `i-${i}`)),
    );
    expect(placed.filter((w) => w !== undefined)).toHaveLength(8);
    for (const w of await capacity.workers()) {
      expect(freeCapacity(w.value).vcpus).toBe(0);
    }
  }, 30_000);

  it('sweeps old claims no instance holds, and keeps young ones and held ones', async () => {
    await addWorker('sweep-1', 8);
    const capacity = createCapacity(store);
    const request = { zone: 'nimbus-1a', runtime: '', need: { vcpus: 2, memoryMib: 2048 } };
    const placed = await Promise.all(['i-held', 'i-stale'].map((id) => capacity.claimOne(request, id)));
    expect(new Set(placed)).toEqual(new Set(['sweep-1']));
    expect(await capacity.sweep('sweep-1', (id) => id === 'i-held', 60_000)).toEqual([]);
    expect(await capacity.sweep('sweep-1', (id) => id === 'i-held', 0)).toEqual(['i-stale']);
    const worker = (await capacity.workers()).find((w) => w.value.workerName === 'sweep-1');
    expect(worker?.value.allocated).toEqual({ vcpus: 2, memoryMib: 2048 });
    const claims = await store.list(computeKeys.claims('sweep-1'));
    expect(claims.items.map((kv) => kv.key.split('/').at(-1))).toEqual(['i-held']);
  });
});
