/**
 * Where instances go: filters (Ready, zone, runtime, free vCPUs and memory for
 * the type), then weighs by spreading (the worker with the largest share of
 * its vCPUs free first, then the most free memory, then by name so equal
 * choices are stable). Pure: the caller claims the choice with compare-and-swap.
 */
import { type CapacityClaim, freeCapacity, type WorkerRecord } from '../state/worker-records.js';

export interface PlacementRequest {
  zone: string;
  /** Empty: any runtime. */
  runtime: string;
  need: CapacityClaim;
}

export interface Placement {
  /** The worker of each placed instance, in order; shorter than asked when capacity ran out. */
  workers: string[];
}

export function eligible(worker: WorkerRecord, request: Pick<PlacementRequest, 'zone' | 'runtime'>): boolean {
  return (
    worker.ready &&
    worker.zone === request.zone &&
    (request.runtime === '' || worker.runtime === request.runtime)
  );
}

/** Up to `count` placements, one after another on the capacity left by the previous ones. */
export function placeInstances(
  workers: readonly WorkerRecord[],
  request: PlacementRequest,
  count: number,
): Placement {
  const free = new Map(
    workers.filter((w) => eligible(w, request)).map((w) => [w.workerName, { worker: w, ...freeCapacity(w) }]),
  );
  const placed: string[] = [];
  for (let i = 0; i < count; i++) {
    let best: { name: string; share: number; memory: number } | undefined;
    for (const [name, f] of free) {
      if (f.vcpus < request.need.vcpus || f.memoryMib < request.need.memoryMib) continue;
      const share = f.worker.vcpus === 0 ? 0 : f.vcpus / f.worker.vcpus;
      if (
        !best ||
        share > best.share ||
        (share === best.share &&
          (f.memoryMib > best.memory || (f.memoryMib === best.memory && name < best.name)))
      ) {
        best = { name, share, memory: f.memoryMib };
      }
    }
    if (!best) break;
    const chosen = free.get(best.name);
    if (!chosen) break;
    chosen.vcpus -= request.need.vcpus;
    chosen.memoryMib -= request.need.memoryMib;
    placed.push(best.name);
  }
  return { workers: placed };
}

/** The zone with the most free vCPUs among eligible workers (for a launch that names none), else the first zone. */
export function roomiestZone(
  workers: readonly WorkerRecord[],
  zones: readonly string[],
  runtime: string,
): string {
  let best: { zone: string; vcpus: number } | undefined;
  for (const zone of zones) {
    const vcpus = workers
      .filter((w) => eligible(w, { zone, runtime }))
      .reduce((sum, w) => sum + Math.max(0, freeCapacity(w).vcpus), 0);
    if (!best || vcpus > best.vcpus) best = { zone, vcpus };
  }
  return best?.zone ?? zones[0] ?? '';
}
