/**
 * Capacity claimed on workers. A claim is an entry in the worker's record,
 * written with compare-and-swap together with whatever it is for (a launch
 * writes its instances in the same transaction), so concurrent launches that
 * read the same free capacity cannot both take it: the second one's
 * transaction fails on the worker's revision and it places again.
 */
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { type PlacementRequest, placeInstances } from '../domain/scheduler.js';
import { computeKeys } from './compute-keys.js';
import type { CapacityClaim, WorkerRecord } from './worker-records.js';

export interface PlannedClaims {
  /** The worker of each instance placed, in order (fewer than asked when capacity ran out). */
  workers: string[];
  /** The writes that claim it: one compare-and-swap per worker touched. */
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
   * Gives back the claims of `workerName` older than `minAgeMs` whose instance
   * `holds` says no longer holds them (a compute that died between claiming
   * and recording the claim on the instance leaves one behind).
   */
  sweep(workerName: string, holds: (instanceId: string) => boolean, minAgeMs: number): Promise<string[]>;
}

export function createCapacity(store: Store): Capacity {
  const records = createRecords<WorkerRecord>(store);
  const workers = () => records.list(computeKeys.workers());
  const plan = async (request: PlacementRequest, instanceIds: readonly string[]): Promise<PlannedClaims> => {
    const all = await workers();
    const placement = placeInstances(
      all.map((w) => w.value),
      request,
      instanceIds.length,
    );
    const claimsByWorker = new Map<string, Record<string, CapacityClaim>>();
    placement.workers.forEach((name, i) => {
      const id = instanceIds[i] as string;
      const claims = claimsByWorker.get(name) ?? {};
      claims[id] = { ...request.need, since: Date.now() };
      claimsByWorker.set(name, claims);
    });
    const ops: TxnOp[] = [];
    for (const [name, claims] of claimsByWorker) {
      const worker = all.find((w) => w.value.workerName === name);
      if (!worker) continue;
      const value: WorkerRecord = { ...worker.value, claims: { ...worker.value.claims, ...claims } };
      ops.push({
        type: 'update',
        key: worker.key,
        value: JSON.stringify(value),
        expectedRevision: worker.revision,
      });
    }
    return { workers: placement.workers, ops };
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
      }
    },
    async sweep(workerName, holds, minAgeMs) {
      for (;;) {
        const worker = await records.get(computeKeys.worker(workerName));
        if (!worker) return [];
        const now = Date.now();
        const stale = Object.entries(worker.value.claims)
          .filter(([id, claim]) => now - (claim.since ?? 0) >= minAgeMs && !holds(id))
          .map(([id]) => id);
        if (stale.length === 0) return [];
        const claims = Object.fromEntries(
          Object.entries(worker.value.claims).filter(([id]) => !stale.includes(id)),
        );
        if (await records.update(worker, { ...worker.value, claims })) return stale;
      }
    },
    async release(workerName, instanceId) {
      for (;;) {
        const worker = await records.get(computeKeys.worker(workerName));
        if (!worker || !(instanceId in worker.value.claims)) return;
        const claims = { ...worker.value.claims };
        delete claims[instanceId];
        if (await records.update(worker, { ...worker.value, claims })) return;
      }
    },
  };
}
