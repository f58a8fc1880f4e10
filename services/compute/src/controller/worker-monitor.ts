/**
 * The worker monitor: a worker whose lease key is gone (it fell silent for
 * the lease's length) turns NotReady, which makes the system status checks of
 * its instances impaired; after the lost grace its instances are declared
 * lost: terminated with Server.InternalError, so that a group can replace
 * them. A worker that registers again is Ready at once (the hub writes it);
 * should it still run a lost instance, the full set it gets leaves it out and
 * the worker kills it.
 */
import type { ReconcileResult } from '@nimbus/controller';
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { ComputeConfig } from '../compute-config.js';
import { StateReasons } from '../domain/instance-states.js';
import type { Capacity } from '../state/capacity.js';
import { computeKeys } from '../state/compute-keys.js';
import {
  type EventSink,
  publishStateChange,
  publishStatusChange,
  publishWorkerReadiness,
} from '../state/instance-events.js';
import type { InstanceRecord } from '../state/instance-records.js';
import type { InstanceStore } from '../state/instance-store.js';
import type { WorkerRecord } from '../state/worker-records.js';

export interface WorkerMonitorDeps {
  store: Store;
  instances: InstanceStore;
  capacity: Capacity;
  /** The instance records placed on a worker, from the controller's cache. */
  instancesOn(workerName: string): Stored<InstanceRecord>[];
  config: ComputeConfig;
  sink: EventSink;
  logger: Logger;
  now: () => number;
}

/** A claim this old whose instance does not hold it is stale (a claim and its instance are written within seconds). */
const claimSweepAgeMs = 60_000;

export function createWorkerReconciler(deps: WorkerMonitorDeps) {
  const workers = createRecords<WorkerRecord>(deps.store);
  return async function reconcile(key: string): Promise<ReconcileResult | undefined> {
    const worker = await workers.get(key);
    if (!worker) return undefined;
    const w = worker.value;
    const lease = await deps.store.get(computeKeys.workerLease(w.workerName));
    if (lease) {
      const holding = new Set(
        deps
          .instancesOn(w.workerName)
          .filter((i) => i.value.state !== 'stopped' && i.value.state !== 'terminated')
          .map((i) => i.value.instanceId),
      );
      const released = await deps.capacity.sweep(w.workerName, (id) => holding.has(id), claimSweepAgeMs);
      if (released.length > 0)
        deps.logger.warn({ workerName: w.workerName, released }, 'stale capacity claims released');
      return undefined;
    }
    if (w.ready) {
      const since = new Date(deps.now()).toISOString();
      if (!(await workers.update(worker, { ...w, ready: false, notReadySince: since })))
        return { requeueAfterMs: 0 };
      deps.logger.warn({ workerName: w.workerName }, 'worker NotReady: its lease expired');
      const revision = Date.parse(since);
      await publishWorkerReadiness(deps.sink, w.workerName, false, revision, { zone: w.zone });
      for (const i of deps.instancesOn(w.workerName)) {
        if (i.value.state !== 'running') continue;
        await publishStatusChange(
          deps.sink,
          { instanceId: i.value.instanceId, accountId: i.value.ownerId },
          { systemStatus: 'impaired', previous: 'ok' },
          revision,
        );
      }
      return { requeueAfterMs: deps.config.workerLostGrace };
    }
    const left =
      Date.parse(w.notReadySince ?? new Date(0).toISOString()) + deps.config.workerLostGrace - deps.now();
    if (left > 0) return { requeueAfterMs: left };
    for (const record of deps.instancesOn(w.workerName)) {
      const written = await deps.instances.update(record, (c) => {
        if (c.workerName !== w.workerName || c.lost || c.state === 'terminated' || c.state === 'stopped')
          return undefined;
        const failure = StateReasons.internalError(`The instance was lost with its worker ${w.workerName}.`);
        const next: InstanceRecord = {
          ...c,
          lost: true,
          desired: 'terminated',
          desiredSince: deps.now(),
          failure,
          generation: c.generation + 1,
        };
        if (c.state === 'running' || c.state === 'stopping') next.state = 'shutting-down';
        return next;
      });
      if (written?.written) {
        deps.logger.warn(
          { instanceId: record.value.instanceId, workerName: w.workerName },
          'instance lost with its worker',
        );
        await publishStateChange(deps.sink, written.before, written.record.value, written.record.revision);
      }
    }
    return undefined;
  };
}
