/**
 * Listener writes that keep the port claim beside the listener: a port of a
 * load balancer is taken by exactly one listener (DuplicateListener), and the
 * claim goes with the listener in one transaction.
 */
import type { Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { parseArn } from '../domain/arns.js';
import { type ListenerRecord, lbKeys } from './records.js';

function portKey(listener: ListenerRecord): string {
  const lbHex = parseArn(listener.loadBalancerArn)?.hex ?? '';
  return lbKeys.listenerPort(listener.accountId, lbHex, listener.port);
}

/** False when the port is taken. */
export async function createListenerRecord(store: Store, listener: ListenerRecord): Promise<boolean> {
  const result = await store.txn([
    { type: 'create', key: portKey(listener), value: listener.arn },
    {
      type: 'create',
      key: lbKeys.listener(listener.accountId, listener.hex),
      value: JSON.stringify(listener),
    },
  ]);
  return result.ok;
}

/** False when the listener changed since it was read, or the new port is taken. */
export async function updateListenerRecord(
  store: Store,
  current: Stored<ListenerRecord>,
  next: ListenerRecord,
): Promise<boolean> {
  if (next.port === current.value.port) {
    return (await store.update(current.key, JSON.stringify(next), current.revision)).ok;
  }
  const claim = await store.get(portKey(current.value));
  const result = await store.txn([
    { type: 'update', key: current.key, value: JSON.stringify(next), expectedRevision: current.revision },
    ...(claim ? [{ type: 'delete' as const, key: claim.key, expectedRevision: claim.modRevision }] : []),
    { type: 'create', key: portKey(next), value: next.arn },
  ]);
  return result.ok;
}

/** False when the listener changed since it was read. */
export async function deleteListenerRecord(store: Store, listener: Stored<ListenerRecord>): Promise<boolean> {
  const claim = await store.get(portKey(listener.value));
  const result = await store.txn([
    { type: 'delete', key: listener.key, expectedRevision: listener.revision },
    ...(claim && claim.value === listener.value.arn
      ? [{ type: 'delete' as const, key: claim.key, expectedRevision: claim.modRevision }]
      : []),
  ]);
  return result.ok;
}
