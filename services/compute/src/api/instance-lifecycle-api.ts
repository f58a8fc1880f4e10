/**
 * StartInstances, StopInstances, RebootInstances, TerminateInstances. Each
 * checks every id first (malformed, unknown: nothing changes) and every
 * state (one that does not allow the action refuses the whole call), then
 * writes the first step of each instance's change with compare-and-swap; the
 * instance controller carries it through. Start claims capacity again (stop
 * gave it back), so a start can be refused with InsufficientInstanceCapacity.
 */
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { CallContext, ServiceImpl } from '@nimbus/runtime';
import { ApiError, dryRunOperation, type Stored } from '@nimbus/service-kit';
import {
  incorrectInstanceState,
  insufficientCapacity,
  operationNotPermitted,
} from '../domain/compute-errors.js';
import {
  type ActionOutcome,
  type InstanceStateName,
  instanceState,
  rebootOutcome,
  StateReasons,
  startOutcome,
  stopOutcome,
  terminateOutcome,
  userInitiated,
} from '../domain/instance-states.js';
import { findInstanceType } from '../domain/instance-types.js';
import { createCapacity } from '../state/capacity.js';
import { publishStateChange } from '../state/instance-events.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ApiDeps } from './api-deps.js';

type LifecycleApi = Pick<
  ServiceImpl<typeof ComputeService>,
  'startInstances' | 'stopInstances' | 'rebootInstances' | 'terminateInstances'
>;

interface StateChange {
  instanceId: string;
  currentState: ReturnType<typeof instanceState>;
  previousState: ReturnType<typeof instanceState>;
}

export function createInstanceLifecycleApi(deps: ApiDeps): LifecycleApi {
  const instances = createInstanceStore(deps.store);
  const capacity = createCapacity(deps.store);

  /**
   * Applies `step` to each instance whose state allows `outcome`; the answer
   * lists every instance with its state before and after.
   */
  const transition = async (
    context: CallContext,
    records: Stored<InstanceRecord>[],
    outcome: (state: InstanceStateName) => ActionOutcome,
    step: (current: InstanceRecord, to: InstanceStateName) => InstanceRecord,
    action: string,
  ): Promise<StateChange[]> => {
    const changes: StateChange[] = [];
    for (const record of records) {
      const written = await instances.update(record, (current) => {
        const o = outcome(current.state);
        if (o.kind === 'refuse') throw incorrectInstanceState(current.instanceId, current.state, action);
        if (o.kind === 'same') return undefined;
        return { ...step(current, o.state), state: o.state, generation: current.generation + 1 };
      });
      if (!written) continue;
      const after = written.record.value;
      changes.push({
        instanceId: after.instanceId,
        currentState: instanceState(after.state),
        previousState: instanceState(written.before.state),
      });
      if (written.written) {
        await publishStateChange(
          { bus: deps.bus, logger: context.logger },
          written.before,
          after,
          written.record.revision,
          context.requestId,
        );
      }
    }
    return changes;
  };

  const refuseAny = (
    records: Stored<InstanceRecord>[],
    outcome: (s: InstanceStateName) => ActionOutcome,
    action: string,
  ) => {
    for (const r of records) {
      if (outcome(r.value.state).kind === 'refuse')
        throw incorrectInstanceState(r.value.instanceId, r.value.state, action);
    }
  };

  const userReason = () => ({
    stateTransitionReason: userInitiated(new Date(deps.now())),
    stateReason: StateReasons.userShutdown,
  });

  return {
    async startInstances(request, context) {
      const records = await instances.require(context.accountId, request.instanceIds);
      refuseAny(records, startOutcome, 'started');
      if (request.dryRun) throw dryRunOperation();
      const changes: StateChange[] = [];
      for (const record of records) {
        const r = record.value;
        if (startOutcome(r.state).kind !== 'to') {
          changes.push(...(await transition(context, [record], startOutcome, (c) => c, 'started')));
          continue;
        }
        const type = findInstanceType(r.instanceType);
        const need = { vcpus: type?.vcpus ?? 2, memoryMib: type?.memoryMib ?? 1024 };
        const worker = await capacity.claimOne({ zone: r.availabilityZone, runtime: '', need }, r.instanceId);
        if (worker === undefined) throw insufficientCapacity(r.instanceType, r.availabilityZone, 1);
        const now = new Date(deps.now()).toISOString();
        const made = await transition(
          context,
          [record],
          startOutcome,
          (c) => {
            const { stateReason: _reason, ...rest } = c;
            return {
              ...rest,
              desired: 'running',
              forceStop: false,
              workerName: worker,
              launchTime: now,
              stateTransitionReason: '',
            };
          },
          'started',
        );
        const landed = made[0]?.previousState.name === 'stopped' && made[0]?.currentState.name === 'pending';
        if (!landed) await capacity.release(worker, r.instanceId);
        changes.push(...made);
      }
      return { startingInstances: changes };
    },

    async stopInstances(request, context) {
      if (request.hibernate) {
        throw new ApiError(
          'UnsupportedHibernationConfiguration',
          'Nimbus instances cannot hibernate: stop them instead.',
        );
      }
      const records = await instances.require(context.accountId, request.instanceIds);
      refuseAny(records, stopOutcome, 'stopped');
      if (request.dryRun) throw dryRunOperation();
      const stoppingInstances = await transition(
        context,
        records,
        stopOutcome,
        (c) => ({
          ...c,
          ...userReason(),
          desired: 'stopped',
          desiredSince: deps.now(),
          forceStop: request.force,
        }),
        'stopped',
      );
      return { stoppingInstances };
    },

    async rebootInstances(request, context) {
      const records = await instances.require(context.accountId, request.instanceIds);
      for (const r of records) {
        if (rebootOutcome(r.value.state) === 'refuse')
          throw incorrectInstanceState(r.value.instanceId, r.value.state, 'rebooted');
      }
      if (request.dryRun) throw dryRunOperation();
      for (const record of records) {
        await instances.update(record, (c) =>
          rebootOutcome(c.state) === 'reboot'
            ? { ...c, rebootGeneration: c.rebootGeneration + 1, generation: c.generation + 1 }
            : undefined,
        );
      }
      return {};
    },

    async terminateInstances(request, context) {
      const records = await instances.require(context.accountId, request.instanceIds);
      for (const r of records) {
        if (r.value.disableApiTermination && terminateOutcome(r.value.state).kind === 'to') {
          throw operationNotPermitted(
            `The instance '${r.value.instanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`,
          );
        }
      }
      if (request.dryRun) throw dryRunOperation();
      const terminatingInstances = await transition(
        context,
        records,
        terminateOutcome,
        (c) => {
          if (c.disableApiTermination) {
            throw operationNotPermitted(`The instance '${c.instanceId}' may not be terminated.`);
          }
          return { ...c, ...userReason(), desired: 'terminated', desiredSince: deps.now() };
        },
        'terminated',
      );
      return { terminatingInstances };
    },
  };
}
