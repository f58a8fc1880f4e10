/**
 * The autoscaler's controllers, run by one replica at a time (an etcd lease
 * election): the group controller watches group records, and while it leads
 * it follows compute's instance events, which only say which group to look
 * at again (the reconciler re-reads everything).
 */
import { hostname } from 'node:os';
import { createController, Informer, runAsLeader } from '@nimbus/controller';
import type { EventBus } from '@nimbus/events';
import { autoscalingKeys, parseGroupKey } from '../state/autoscaling-keys.js';
import type { GroupRecord } from '../state/group-records.js';
import { createGroupReconciler, type GroupReconcilerDeps } from './group-controller.js';

export const instanceEventSubjects = [
  'nimbus.compute.instance.state-changed',
  'nimbus.compute.instance.status-changed',
];

export interface AutoscalerControllersDeps extends GroupReconcilerDeps {
  bus: EventBus;
  /** Keys reconciled at once (never one group twice at once). Default 16. */
  concurrency?: number;
}

export function createAutoscalerControllers(deps: AutoscalerControllersDeps) {
  const { store, bus, logger } = deps;
  const groupInformer = new Informer({ store, prefix: autoscalingKeys.allGroups(), logger });
  const groupController = createController({
    name: 'group-controller',
    logger,
    concurrency: deps.concurrency ?? 16,
    resyncMs: 30_000,
    reconcile: createGroupReconciler(deps),
  }).watches(groupInformer, (event) => (parseGroupKey(event.key) ? [event.key] : []));

  /** The group holding an instance, from the informer's cache. */
  const groupOf = (accountId: string, instanceId: string): string[] =>
    groupInformer
      .values()
      .filter((kv) => kv.key.startsWith(autoscalingKeys.groups(accountId)))
      .filter((kv) => (JSON.parse(kv.value) as GroupRecord).members.some((m) => m.instanceId === instanceId))
      .map((kv) => kv.key);

  const followInstances = (signal: AbortSignal) =>
    bus.subscribe({
      durable: 'autoscaler-instance-events',
      subjects: instanceEventSubjects,
      signal,
      async handler({ event }) {
        for (const key of groupOf(event.accountId, event.resourceId)) groupController.enqueue(key);
      },
    });

  return {
    groupController,
    /** Looks at a group soon (the API calls this after a change, ahead of the watch). */
    nudge(key: string) {
      groupController.enqueue(key);
    },
    async start(signal: AbortSignal): Promise<void> {
      await runAsLeader(
        {
          store,
          election: 'autoscaler-controllers',
          candidate: `${hostname()}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
          ttlSeconds: 5,
          logger,
          run: async (leading) => {
            const subscription = await followInstances(leading);
            try {
              await groupController.start(leading);
            } finally {
              await subscription.close();
            }
          },
        },
        signal,
      );
    },
  };
}
