/**
 * A worker (node) as stored: what it registered, whether it is Ready (its
 * lease key exists), and the capacity instances have claimed on it. The total
 * is written with compare-and-swap on this record, so two launches that read
 * the same free capacity cannot both take it; each instance's share is its own
 * key (state/capacity.ts), so the record stays small however many instances run.
 */
export interface CapacityClaim {
  vcpus: number;
  memoryMib: number;
  /** When it was claimed (epoch ms): the sweep leaves young claims alone, their instance may be on its way. */
  since?: number;
}

export interface WorkerRecord {
  workerName: string;
  zone: string;
  vcpus: number;
  memoryMib: number;
  runtime: string;
  /** host:port of its instance metadata service. */
  address: string;
  bootId: string;
  limitsEnforced: boolean;
  ready: boolean;
  /** When it last turned NotReady; its instances are lost after the grace. */
  notReadySince?: string;
  registeredAt: string;
  /** The lease its `worker-leases/` key is bound to. */
  leaseId: string;
  /** The sum of the claims on it. */
  allocated: CapacityClaim;
}

export function freeCapacity(worker: WorkerRecord): CapacityClaim {
  return {
    vcpus: worker.vcpus - (worker.allocated?.vcpus ?? 0),
    memoryMib: worker.memoryMib - (worker.allocated?.memoryMib ?? 0),
  };
}
