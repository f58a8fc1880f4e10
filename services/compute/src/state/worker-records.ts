/**
 * A worker (node) as stored: what it registered, whether it is Ready (its
 * lease key exists), and the capacity claimed on it by instances. Claims are
 * written with compare-and-swap on this record, so two launches that read the
 * same free capacity cannot both take it.
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
  claims: Record<string, CapacityClaim>;
}

export function freeCapacity(worker: WorkerRecord): CapacityClaim {
  let vcpus = worker.vcpus;
  let memoryMib = worker.memoryMib;
  for (const claim of Object.values(worker.claims)) {
    vcpus -= claim.vcpus;
    memoryMib -= claim.memoryMib;
  }
  return { vcpus, memoryMib };
}
