/**
 * The controllers of the compute service, run by one replica at a time (an
 * etcd lease election): the instance controller, which watches instance
 * records and the workers' observations of them, and the worker monitor,
 * which watches worker records and their lease keys.
 */
import { hostname } from 'node:os';
import { createController, Informer, runAsLeader } from '@nimbus/controller';
import type { TraceJoiner } from '@nimbus/runtime';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { Peers } from '../api/api-deps.js';
import type { ComputeConfig } from '../compute-config.js';
import { createCapacity } from '../state/capacity.js';
import { computeKeys, parseInstanceKey } from '../state/compute-keys.js';
import type { EventSink } from '../state/instance-events.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ObservationRecord } from '../state/observation-records.js';
import { createInstanceReconciler } from './instance-controller.js';
import { createWorkerReconciler } from './worker-monitor.js';

export interface ComputeControllersDeps {
  store: Store;
  peers: Peers;
  config: ComputeConfig;
  sink: EventSink;
  logger: Logger;
  now: () => number;
  /** Keys reconciled at once by the instance controller (most of a launch waits on other services). Default 64. */
  concurrency?: number;
  /** Joins launches to the traces of their RunInstances calls. */
  tracing?: TraceJoiner;
}

export function createComputeControllers(deps: ComputeControllersDeps) {
  const { store, logger } = deps;
  const instances = createInstanceStore(store);
  const capacity = createCapacity(store);
  const instanceInformer = new Informer({ store, prefix: computeKeys.allInstances(), logger });
  const observationInformer = new Informer({ store, prefix: computeKeys.observations(), logger });
  const workerInformer = new Informer({ store, prefix: computeKeys.workers(), logger });
  const leaseInformer = new Informer({ store, prefix: computeKeys.workerLeases(), logger });

  const instanceController = createController({
    name: 'instance-controller',
    logger,
    concurrency: deps.concurrency ?? 64,
    // Instances move on their own events and requeues; a resync only catches what a watch missed.
    resyncMs: 300_000,
    reconcile: createInstanceReconciler({ ...deps, instances, capacity }),
  })
    .watches(instanceInformer, (event) => (parseInstanceKey(event.key) ? [event.key] : []))
    .watches(observationInformer, (event) => {
      const kv = event.type === 'put' ? event.kv : event.prev;
      if (!kv) return [];
      const seen = JSON.parse(kv.value) as ObservationRecord;
      return [computeKeys.instance(seen.accountId, seen.instanceId)];
    });

  const instancesOn = (workerName: string) =>
    instanceInformer
      .values()
      .map((kv) => ({ key: kv.key, value: JSON.parse(kv.value) as InstanceRecord, revision: kv.modRevision }))
      .filter((r) => r.value.workerName === workerName);

  const workerMonitor = createController({
    name: 'worker-monitor',
    logger,
    resyncMs: 10_000,
    reconcile: createWorkerReconciler({ ...deps, instances, capacity, instancesOn }),
  })
    .watches(workerInformer)
    .watches(leaseInformer, (event) => [
      computeKeys.worker(event.key.slice(computeKeys.workerLeases().length)),
    ]);

  return {
    instanceController,
    async start(signal: AbortSignal): Promise<void> {
      await runAsLeader(
        {
          store,
          election: 'compute-controllers',
          candidate: `${hostname()}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
          ttlSeconds: 5,
          logger,
          run: async (leading) => {
            await Promise.all([
              instanceController.start(leading),
              workerMonitor.start(leading),
              instanceInformer.synced(),
            ]);
          },
        },
        signal,
      );
    },
  };
}
