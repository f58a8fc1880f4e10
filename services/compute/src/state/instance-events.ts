/**
 * Compute's events: `nimbus.compute.instance.state-changed` (previous and new
 * state), `nimbus.compute.instance.status-changed`, `nimbus.compute.worker.ready`
 * and `.not-ready`. Each is keyed by resource and store revision, so a retried
 * publish is dropped. A bus outage never undoes a committed change: the
 * failure is logged, and consumers resync from the store.
 */
import type { EventBus } from '@nimbus/events';
import type { Logger } from 'pino';
import type { InstanceRecord } from './instance-records.js';

export interface EventSink {
  bus: EventBus;
  logger: Logger;
}

async function publish(sink: EventSink, input: Parameters<EventBus['publish']>[0]): Promise<void> {
  try {
    await sink.bus.publish(input);
  } catch (error) {
    sink.logger.warn(
      { err: error, subject: input.subject, resourceId: input.resourceId },
      'event not published',
    );
  }
}

export async function publishStateChange(
  sink: EventSink,
  before: Pick<InstanceRecord, 'state'> | undefined,
  after: InstanceRecord,
  revision: number,
  requestId?: string,
): Promise<void> {
  if (before?.state === after.state) return;
  await publish(sink, {
    subject: 'nimbus.compute.instance.state-changed',
    id: `${after.instanceId}.state.${revision}`,
    accountId: after.ownerId,
    resourceId: after.instanceId,
    revision,
    detailJson: JSON.stringify({
      previousState: before?.state ?? '',
      currentState: after.state,
      stateReason: after.stateReason ?? null,
      workerName: after.workerName,
      availabilityZone: after.availabilityZone,
    }),
    ...(requestId ? { requestId } : {}),
  });
}

export async function publishStatusChange(
  sink: EventSink,
  instance: { instanceId: string; accountId: string },
  detail: { systemStatus?: string; instanceStatus?: string; previous?: string },
  revision: number,
): Promise<void> {
  await publish(sink, {
    subject: 'nimbus.compute.instance.status-changed',
    id: `${instance.instanceId}.status.${revision}`,
    accountId: instance.accountId,
    resourceId: instance.instanceId,
    revision,
    detailJson: JSON.stringify(detail),
  });
}

export async function publishWorkerReadiness(
  sink: EventSink,
  workerName: string,
  ready: boolean,
  revision: number,
  detail: Record<string, unknown>,
): Promise<void> {
  await publish(sink, {
    subject: `nimbus.compute.worker.${ready ? 'ready' : 'not-ready'}`,
    id: `${workerName}.${ready ? 'ready' : 'not-ready'}.${revision}`,
    resourceId: workerName,
    revision,
    detailJson: JSON.stringify({ workerName, ...detail }),
  });
}
