/**
 * Capacity claimed on workers. The worker record holds the total claimed on
 * it, written with compare-and-swap together with each instance's own claim
 * key and whatever the claim is for (a launch writes its instances in the same
 * transaction), so concurrent launches that read the same free capacity
 * cannot both take it: the second one's transaction fails on the worker's
 * revision and it places again. Releasing deletes the claim key and lowers the
 * total in one transaction, so a claim is given back once.
 */
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { type PlacementRequest, placeInstances } from '../domain/scheduler.js';
import { computeKeys } from './compute-keys.js';
import type { CapacityClaim, WorkerRecord } from './worker-records.js';

export interface PlannedClaims {
  /** The worker of each instance placed, in order (fewer than asked when capacity ran out). */
  workers: string[];
  /** The writes that claim it: one compare-and-swap per worker touched, one claim key per instance. */
  ops: TxnOp[];
}

export interface Capacity {
  workers(): Promise<Stored<WorkerRecord>[]>;
  /** Plans claims for `instanceIds` (as many as fit, in order) on the workers as read now. */
  plan(request: PlacementRequest, instanceIds: readonly string[]): Promise<PlannedClaims>;
  /** Claims capacity for one instance on its own; undefined when nothing fits. */
  claimOne(request: PlacementRequest, instanceId: string): Promise<string | undefined>;
  /** Gives back what `instanceId` holds on `workerName`; harmless when it holds nothing. */
  release(workerName: string, instanceId: string): Promise<void>;
  /**
   * Gives back the claims on `workerName` older than `minAgeMs` whose instance
   * `holds` says no longer holds them (a compute that died between claiming
   * and recording the claim on the instance leaves one behind).
   */
  sweep(workerName: string, holds: (instanceId: string) => boolean, minAgeMs: number): Promise<string[]>;
}

const add = (a: CapacityClaim, b: CapacityClaim, sign = 1): CapacityClaim => ({
  vcpus: (a.vcpus ?? 0) + sign * b.vcpus,
  memoryMib: (a.memoryMib ?? 0) + sign * b.memoryMib,
});

export function createCapacity(store: Store): Capacity {
  const records = createRecords<WorkerRecord>(store);
  const claims = createRecords<CapacityClaim>(store);
  const workers = () => records.list(computeKeys.workers());
  const plan = async (request: PlacementRequest, instanceIds: readonly string[]): Promise<PlannedClaims> => {
    const all = await workers();
    const placement = placeInstances(
      all.map((w) => w.value),
      request,
      instanceIds.length,
    );
    const ops: TxnOp[] = [];
    const since = Date.now();
    const countByWorker = new Map<string, number>();
    placement.workers.forEach((name, i) => {
      countByWorker.set(name, (countByWorker.get(name) ?? 0) + 1);
      const claim: CapacityClaim = { ...request.need, since };
      ops.push({
        type: 'create',
        key: computeKeys.claim(name, instanceIds[i] as string),
        value: JSON.stringify(claim),
      });
    });
    for (const [name, count] of countByWorker) {
      const worker = all.find((w) => w.value.workerName === name);
      if (!worker) continue;
      const need = { vcpus: request.need.vcpus * count, memoryMib: request.need.memoryMib * count };
      const value: WorkerRecord = {
        ...worker.value,
        allocated: add(worker.value.allocated ?? { vcpus: 0, memoryMib: 0 }, need),
      };
      ops.push({
        type: 'update',
        key: worker.key,
        value: JSON.stringify(value),
        expectedRevision: worker.revision,
      });
    }
    return { workers: placement.workers, ops };
  };
  const release = async (workerName: string, instanceId: string) => {
    for (;;) {
      const claim = await claims.get(computeKeys.claim(workerName, instanceId));
      if (!claim) return;
      const worker = await records.get(computeKeys.worker(workerName));
      if (!worker) {
        if (await claims.delete(claim)) return;
        continue;
      }
      const allocated = add(worker.value.allocated ?? { vcpus: 0, memoryMib: 0 }, claim.value, -1);
      const result = await store.txn([
        { type: 'delete', key: claim.key, expectedRevision: claim.revision },
        {
          type: 'update',
          key: worker.key,
          value: JSON.stringify({ ...worker.value, allocated }),
          expectedRevision: worker.revision,
        },
      ]);
      if (result.ok) return;
    }
  };
  return {
    workers,
    plan,
    async claimOne(request, instanceId) {
      for (;;) {
        const planned = await plan(request, [instanceId]);
        const worker = planned.workers[0];
        if (worker === undefined) return undefined;
        if ((await store.txn(planned.ops)).ok) return worker;
        // Claimed already (a retried start): it holds its share.
        if (await claims.get(computeKeys.claim(worker, instanceId))) return worker;
      }
    },
    release,
    async sweep(workerName, holds, minAgeMs) {
      const now = Date.now();
      const stale = (await claims.list(computeKeys.claims(workerName)))
        .map((c) => ({ id: c.key.slice(computeKeys.claims(workerName).length), claim: c.value }))
        .filter(({ id, claim }) => now - (claim.since ?? 0) >= minAgeMs && !holds(id))
        .map(({ id }) => id);
      for (const id of stale) await release(workerName, id);
      return stale;
    },
  };
}
