/**
 * A worker's registration: its record (capacity, address, Ready) and its
 * lease. The record is created or refreshed with compare-and-swap, keeping
 * the capacity already claimed on it; the `worker-leases/<name>` key is bound
 * to a fresh lease that every message of the worker renews, so the store
 * deletes it when the worker falls silent and the worker monitor marks the
 * node NotReady.
 */
import type { Register } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { DomainError } from '@nimbus/runtime';
import { createRecords } from '@nimbus/service-kit';
import type { Lease, Store } from '@nimbus/store';
import { computeKeys } from '../state/compute-keys.js';
import type { WorkerRecord } from '../state/worker-records.js';

export const runtimes = ['process', 'fake'] as const;

export function checkRegister(register: Register, zones: readonly string[]): void {
  const problem = !/^[a-z0-9][a-z0-9-]{0,62}$/.test(register.workerName)
    ? `worker_name '${register.workerName}' must be 1-63 lowercase letters, digits and dashes`
    : !zones.includes(register.zone)
      ? `zone '${register.zone}' is not one of ${zones.join(', ')}`
      : !(runtimes as readonly string[]).includes(register.runtime)
        ? `runtime '${register.runtime}' is not one of ${runtimes.join(', ')}`
        : register.vcpus <= 0 || register.memoryMib <= 0
          ? 'vcpus and memory_mib must be positive'
          : undefined;
  if (problem) throw new DomainError('InvalidParameterValue', `Register refused: ${problem}.`);
}

export async function registerWorker(
  store: Store,
  register: Register,
  leaseTtlMs: number,
  now: () => number,
): Promise<{ record: WorkerRecord; lease: Lease; revision: number; wasReady: boolean }> {
  const records = createRecords<WorkerRecord>(store);
  const lease = await store.grantLease(Math.max(1, Math.ceil(leaseTtlMs / 1000)), { autoKeepAlive: false });
  const leaseKey = computeKeys.workerLease(register.workerName);
  for (;;) {
    const held = await records.get(computeKeys.worker(register.workerName));
    const record: WorkerRecord = {
      workerName: register.workerName,
      zone: register.zone,
      vcpus: register.vcpus,
      memoryMib: register.memoryMib,
      runtime: register.runtime,
      address: register.address,
      bootId: register.bootId,
      limitsEnforced: register.limitsEnforced,
      ready: true,
      registeredAt: new Date(now()).toISOString(),
      leaseId: lease.id,
      allocated: held?.value.allocated ?? { vcpus: 0, memoryMib: 0 },
    };
    const leaseValue = JSON.stringify({ workerName: register.workerName, bootId: register.bootId });
    const currentLease = await store.get(leaseKey);
    const result = await store.txn([
      held
        ? { type: 'update', key: held.key, value: JSON.stringify(record), expectedRevision: held.revision }
        : { type: 'create', key: computeKeys.worker(register.workerName), value: JSON.stringify(record) },
      currentLease
        ? {
            type: 'update',
            key: leaseKey,
            value: leaseValue,
            expectedRevision: currentLease.modRevision,
            lease: lease.id,
          }
        : { type: 'create', key: leaseKey, value: leaseValue, lease: lease.id },
    ]);
    if (result.ok) return { record, lease, revision: result.revision, wasReady: held?.value.ready ?? false };
  }
}
