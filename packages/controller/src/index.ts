/**
 * The reconcile framework: informers (list, then watch), a deduplicating,
 * rate-limited work queue, the reconciler contract (see reconciler.ts) and
 * leader election, so each controller runs in exactly one replica at a time.
 */
export { abortableDelay } from './abortable-delay.js';
export { type BackoffOptions, ExponentialBackoff } from './backoff.js';
export { Controller, type ControllerOptions, createController, type KeyMapper } from './controller.js';
export { ControllerMetrics, type ControllerMetricsSnapshot } from './controller-metrics.js';
export { Informer, type InformerEvent, type InformerHandler, type InformerOptions } from './informer.js';
export { type LeaderElectionOptions, type LeaderState, runAsLeader } from './leader-election.js';
export { isTerminalError, type Reconcile, type ReconcileResult, TerminalError } from './reconciler.js';
export { TokenBucket } from './token-bucket.js';
export { WorkQueue, type WorkQueueOptions } from './work-queue.js';
