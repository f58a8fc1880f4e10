/**
 * The controllers of the block-storage service, run by one replica at a time
 * (an etcd lease election): the lifecycle-policy controller, which watches the
 * policies and looks at each again at its next due time.
 */
import { hostname } from 'node:os';
import { createController, Informer, runAsLeader } from '@nimbus/controller';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { SnapshotActions } from '../api/snapshot-api.js';
import { storageKeys } from '../state/storage-keys.js';
import { createLifecycleReconciler, forgetOrphanRuns } from './lifecycle-controller.js';

export interface BlockStorageControllersDeps {
  store: Store;
  logger: Logger;
  snapshots: SnapshotActions;
  now: () => number;
  /** The longest real wait before a policy is looked at again, ms. Default 60 s; tests that move the clock use less. */
  pollMs?: number;
}

export function createBlockStorageControllers(deps: BlockStorageControllersDeps) {
  const { store, logger } = deps;
  const policyInformer = new Informer({ store, prefix: storageKeys.allLifecyclePolicies(), logger });
  const lifecycleController = createController({
    name: 'lifecycle-policy-controller',
    logger,
    concurrency: 4,
    resyncMs: 300_000,
    reconcile: createLifecycleReconciler({ ...deps, pollMs: deps.pollMs ?? 60_000 }),
  }).watches(policyInformer);

  return {
    lifecycleController,
    async start(signal: AbortSignal): Promise<void> {
      await runAsLeader(
        {
          store,
          election: 'block-storage-controllers',
          candidate: `${hostname()}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
          ttlSeconds: 5,
          logger,
          run: async (leading) => {
            const forgotten = await forgetOrphanRuns(store);
            if (forgotten > 0)
              logger.info({ forgotten }, 'run records of deleted lifecycle policies forgotten');
            await lifecycleController.start(leading);
          },
        },
        signal,
      );
    },
  };
}
