/**
 * The instance controller: drives each instance from the state the API wrote
 * to where its desired state leads, one idempotent step per pass.
 *
 *   pending      -> root and mapped volumes (block-storage) -> primary interface,
 *                   attached (network) -> public address when the subnet maps
 *                   them -> the worker is told (worker hub) -> running once the
 *                   worker reports the boot process of this run
 *   running      -> the boot process exited by itself: InstanceInitiatedShutdownBehavior
 *   stopping     -> the worker reports it stopped -> public address released,
 *                   capacity given back -> stopped
 *   shutting-down (and a failed launch) -> the worker stopped it (or is gone)
 *                   -> clean-up (instance-cleanup.ts) -> terminated
 *   terminated   -> removed after the retention
 *
 * A launch that fails for good, or is still pending after the launch timeout,
 * ends terminated with Server.InternalError or Server.InsufficientInstanceCapacity,
 * with everything made so far removed.
 */
import type { ReconcileResult } from '@nimbus/controller';
import { type TraceJoiner, untracedJoiner } from '@nimbus/runtime';
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Logger } from 'pino';
import type { Peers } from '../api/api-deps.js';
import type { ComputeConfig } from '../compute-config.js';
import { type InstanceStateName, StateReasons } from '../domain/instance-states.js';
import { findInstanceType } from '../domain/instance-types.js';
import type { Capacity } from '../state/capacity.js';
import { computeKeys } from '../state/compute-keys.js';
import { type EventSink, publishStateChange } from '../state/instance-events.js';
import type { InstanceRecord } from '../state/instance-records.js';
import type { InstanceStore } from '../state/instance-store.js';
import type { ConsoleRecord, ObservationRecord } from '../state/observation-records.js';
import { isFinalRefusal } from '../state/remote-refusals.js';
import type { WorkerRecord } from '../state/worker-records.js';
import { launchReady } from '../workers/desired-instances.js';
import { cleanUpInstance, releasePublicIp } from './instance-cleanup.js';
import { createLaunchSteps, LaunchFailure } from './launch-steps.js';

export interface InstanceControllerDeps {
  instances: InstanceStore;
  capacity: Capacity;
  peers: Peers;
  config: ComputeConfig;
  sink: EventSink;
  logger: Logger;
  now: () => number;
  store: import('@nimbus/store').Store;
  /** Joins a launch to the trace of its RunInstances call. Default: none. */
  tracing?: TraceJoiner;
}

const pollMs = 250;

export function createInstanceReconciler(deps: InstanceControllerDeps) {
  const { instances, capacity, peers, config } = deps;
  const steps = createLaunchSteps(peers, instances, config.region);
  const observations = createRecords<ObservationRecord>(deps.store);
  const consoles = createRecords<ConsoleRecord>(deps.store);
  const workers = createRecords<WorkerRecord>(deps.store);

  /** Moves the instance to `to` when it is still in `from`, with an event. */
  const transition = async (
    record: Stored<InstanceRecord>,
    from: InstanceStateName,
    to: InstanceStateName,
    change: (r: InstanceRecord) => InstanceRecord = (r) => r,
  ): Promise<Stored<InstanceRecord> | undefined> => {
    const written = await instances.update(record, (c) =>
      c.state === from ? { ...change(c), state: to, generation: c.generation + 1 } : undefined,
    );
    if (!written?.written) return undefined;
    await publishStateChange(deps.sink, written.before, written.record.value, written.record.revision);
    return written.record;
  };

  const fail = async (record: Stored<InstanceRecord>, code: string, message: string) => {
    deps.logger.warn({ instanceId: record.value.instanceId, code, message }, 'launch failed');
    await instances.update(record, (c) =>
      c.failure || c.state !== 'pending'
        ? undefined
        : {
            ...c,
            failure: { code, message: `${code}: ${message}` },
            desired: 'terminated',
            desiredSince: deps.now(),
            generation: c.generation + 1,
          },
    );
    return { requeueAfterMs: 0 };
  };

  /** The observation of the current run on the instance's worker, if the worker reported one. */
  const currentRun = async (r: InstanceRecord) => {
    const seen = (await observations.get(computeKeys.observation(r.instanceId)))?.value;
    if (!seen || seen.workerName !== r.workerName) return undefined;
    const since = Date.parse(r.launchTime) - 2000;
    if (seen.startedTime && Date.parse(seen.startedTime) < since) return undefined;
    return seen;
  };

  const workerOf = async (r: InstanceRecord) =>
    r.workerName ? (await workers.get(computeKeys.worker(r.workerName)))?.value : undefined;

  const launch = async (record: Stored<InstanceRecord>): Promise<ReconcileResult | undefined> => {
    let current = record;
    const r = () => current.value;
    if (deps.now() - Date.parse(r().launchTime) > config.launchTimeout) {
      return fail(current, 'Server.InternalError', 'The launch did not complete in time.');
    }
    const worker = await workerOf(r());
    if (!worker?.ready) {
      // Not placed, or its worker went away before the instance ran: place it again.
      if (r().workerName) await capacity.release(r().workerName, r().instanceId);
      const type = findInstanceType(r().instanceType);
      const need = { vcpus: type?.vcpus ?? 2, memoryMib: type?.memoryMib ?? 1024 };
      const placed = await capacity.claimOne(
        { zone: r().availabilityZone, runtime: '', need },
        r().instanceId,
      );
      const written = await instances.update(current, (c) =>
        c.state === 'pending' ? { ...c, workerName: placed ?? '', generation: c.generation + 1 } : undefined,
      );
      if (placed === undefined) {
        if (written) current = written.record;
        return fail(current, 'Server.InsufficientInstanceCapacity', 'Insufficient capacity.');
      }
      if (placed && !written?.written) await capacity.release(placed, r().instanceId);
      return { requeueAfterMs: 0 };
    }
    if (!r().launchStarted) {
      const written = await instances.update(current, (c) => ({ ...c, launchStarted: true }));
      if (!written) return undefined;
      current = written.record;
    }
    try {
      const volumes = await steps.volumes(current);
      current = volumes.record;
      if (!volumes.ready) return { requeueAfterMs: pollMs };
      current = await steps.networkInterface(current);
      current = await steps.publicIp(current);
    } catch (error) {
      if (error instanceof LaunchFailure) return fail(current, error.code, error.message);
      if (isFinalRefusal(error)) return fail(current, 'Server.InternalError', (error as Error).message);
      throw error;
    }
    if (!launchReady(r())) return { requeueAfterMs: pollMs };
    const seen = await currentRun(r());
    if (seen?.error) return fail(current, 'Server.InternalError', seen.error);
    if (seen && (seen.phase === 'running' || seen.phase === 'exited' || seen.phase === 'crashed')) {
      await transition(current, 'pending', 'running', (c) => ({
        ...c,
        startedAt: seen.startedTime ?? new Date(deps.now()).toISOString(),
      }));
      return { requeueAfterMs: 0 };
    }
    return { requeueAfterMs: 1000 };
  };

  const running = async (record: Stored<InstanceRecord>): Promise<ReconcileResult | undefined> => {
    const r = record.value;
    const seen = await currentRun(r);
    if (seen?.phase !== 'exited') return undefined;
    // The boot process ended by itself: InstanceInitiatedShutdownBehavior.
    const reason = {
      stateReason: StateReasons.instanceShutdown,
      stateTransitionReason: `Instance initiated shutdown (${seen.endedTime ?? new Date(deps.now()).toISOString()})`,
    };
    if (r.shutdownBehavior === 'terminate') {
      await transition(record, 'running', 'shutting-down', (c) => ({
        ...c,
        ...reason,
        desired: 'terminated',
        desiredSince: deps.now(),
      }));
    } else {
      await transition(record, 'running', 'stopping', (c) => ({
        ...c,
        ...reason,
        desired: 'stopped',
        desiredSince: deps.now(),
      }));
    }
    return { requeueAfterMs: 0 };
  };

  /** Whether the worker still runs the instance's processes (a NotReady worker: unknown, so wait). */
  const stillRunning = async (r: InstanceRecord): Promise<boolean> => {
    if (!launchReady(r) || r.workerName === '' || r.lost) return false;
    const worker = await workerOf(r);
    if (!worker) return false;
    const seen = await currentRun(r);
    if (!seen) {
      // Told to run but not reported yet: give the worker its stop grace (and a little) to say what it did.
      const since = r.desiredSince ?? 0;
      return worker.ready && deps.now() - since < config.stopTimeout + 5_000;
    }
    return seen.phase === 'running' || seen.phase === 'starting';
  };

  const stopping = async (record: Stored<InstanceRecord>): Promise<ReconcileResult | undefined> => {
    const r = record.value;
    if (await stillRunning(r)) return { requeueAfterMs: 1000 };
    await releasePublicIp(peers, r);
    if (r.workerName) await capacity.release(r.workerName, r.instanceId);
    await transition(record, 'stopping', 'stopped', (c) => ({ ...c, workerName: '', publicIp: '' }));
    return undefined;
  };

  const terminate = async (record: Stored<InstanceRecord>): Promise<ReconcileResult | undefined> => {
    const r = record.value;
    if (await stillRunning(r)) return { requeueAfterMs: 1000 };
    const cleaned = await cleanUpInstance(peers, instances, capacity, record);
    const from = cleaned.value.state;
    await transition(cleaned, from, 'terminated', (c) => ({
      ...c,
      workerName: '',
      elasticIp: '',
      terminatedAt: new Date(deps.now()).toISOString(),
      ...(c.failure ? { stateReason: c.failure, stateTransitionReason: '' } : {}),
    }));
    await observations.get(computeKeys.observation(r.instanceId)).then((o) => o && observations.delete(o));
    return { requeueAfterMs: config.terminatedRetention };
  };

  const expire = async (record: Stored<InstanceRecord>): Promise<ReconcileResult | undefined> => {
    const at = Date.parse(record.value.terminatedAt ?? record.value.launchTime);
    const left = at + config.terminatedRetention - deps.now();
    if (left > 0) return { requeueAfterMs: left };
    if (await instances.records.delete(record)) {
      const held = await consoles.get(computeKeys.console(record.value.instanceId));
      if (held) await consoles.delete(held);
    }
    return undefined;
  };

  return async function reconcile(key: string): Promise<ReconcileResult | undefined> {
    const record = await instances.records.get(key);
    if (!record) return undefined;
    const r = record.value;
    switch (r.state) {
      case 'pending':
        if (r.failure || r.desired === 'terminated') return terminate(record);
        // The launch's calls to image, block storage and network join the RunInstances trace.
        return (deps.tracing ?? untracedJoiner).continue(r.traceparent, `launch ${r.instanceId}`, () =>
          launch(record),
        );
      case 'running':
        return running(record);
      case 'stopping':
        return stopping(record);
      case 'shutting-down':
        return terminate(record);
      case 'terminated':
        return expire(record);
      case 'stopped':
        return undefined;
    }
  };
}
