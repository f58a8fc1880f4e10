/**
 * Instances that terminate leave their target groups by themselves: on
 * compute's `nimbus.compute.instance.state-changed` to shutting-down or
 * terminated, the instance's targets in the owner's instance target groups
 * are deregistered, with the same draining as DeregisterTargets. The event is
 * only a trigger: compute is asked whether the instance is really going.
 * Every state change is also handed on, so that the data plane can take a
 * stopped instance out of traffic (`unused`, Target.InvalidState).
 */
import type { EventBus, Subscription } from '@nimbus/events';
import { createRecords } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import type { ComputePort } from '../api/compute-port.js';
import { lbKeys, type TargetGroupRecord } from './records.js';

export const instanceStateChangedSubject = 'nimbus.compute.instance.state-changed';
const leaving = new Set(['shutting-down', 'terminated']);

/** Deregisters `instanceId` from every instance target group of `accountId`; how many targets it touched. */
export async function deregisterInstance(
  store: Store,
  accountId: string,
  instanceId: string,
  now: number,
): Promise<number> {
  const groups = createRecords<TargetGroupRecord>(store);
  let touched = 0;
  for (const group of await groups.list(lbKeys.targetGroups(accountId))) {
    if (group.value.targetType !== 'instance') continue;
    for (let current = group; ; ) {
      const delay = current.value.attributes.deregistrationDelaySeconds;
      let changed = 0;
      const targets = current.value.targets.flatMap((t) => {
        if (t.id !== instanceId || t.drainingSince !== undefined) return [t];
        changed++;
        return delay > 0 ? [{ ...t, drainingSince: now }] : [];
      });
      if (changed === 0) break;
      if (await groups.update(current, { ...current.value, targets })) {
        touched += changed;
        break;
      }
      const fresh = await groups.get(current.key);
      if (!fresh) break;
      current = fresh;
    }
  }
  return touched;
}

export async function followInstanceDepartures(options: {
  store: Store;
  bus: EventBus;
  compute: ComputePort;
  logger: Logger;
  now: () => number;
  signal: AbortSignal;
  /** Every state an instance enters (the data plane takes stopped instances out of traffic). */
  onInstanceState?: (accountId: string, instanceId: string, state: string) => void;
}): Promise<Subscription> {
  const { store, bus, compute, logger, now } = options;
  return bus.subscribe({
    durable: 'load-balancer-instance-departures',
    subjects: [instanceStateChangedSubject],
    signal: options.signal,
    async handler({ event }) {
      const detail = JSON.parse(event.detailJson || '{}') as { currentState?: string };
      if (event.accountId && event.resourceId && detail.currentState) {
        options.onInstanceState?.(event.accountId, event.resourceId, detail.currentState);
      }
      if (!leaving.has(detail.currentState ?? '') || !event.accountId || !event.resourceId) return;
      let gone = true;
      try {
        const [instance] = await compute.describeInstances(event.accountId, [event.resourceId]);
        gone = !instance || leaving.has(instance.state);
      } catch (error) {
        // An instance compute no longer knows is gone; anything else is retried.
        if (!(error instanceof Error && 'code' in error && error.code === 'InvalidTarget')) throw error;
      }
      if (!gone) return;
      const touched = await deregisterInstance(store, event.accountId, event.resourceId, now());
      if (touched > 0)
        logger.info({ instanceId: event.resourceId, targets: touched }, 'terminated instance deregistered');
    },
  });
}
