import { describe, expect, it } from 'vitest';
import type { WorkerRecord } from '../state/worker-records.js';
import { placeInstances, roomiestZone } from './scheduler.js';

const worker = (
  name: string,
  zone: string,
  vcpus: number,
  claims: number[] = [],
  extra: Partial<WorkerRecord> = {},
): WorkerRecord => ({
  workerName: name,
  zone,
  vcpus,
  memoryMib: vcpus * 4096,
  runtime: 'process',
  address: '127.0.0.1:1',
  bootId: 'b',
  limitsEnforced: true,
  ready: true,
  registeredAt: '',
  leaseId: '1',
  allocated: {
    vcpus: claims.reduce((sum, c) => sum + c, 0),
    memoryMib: claims.reduce((sum, c) => sum + c * 1024, 0),
  },
  ...extra,
});

const need = (vcpus: number) => ({ zone: 'a', runtime: '', need: { vcpus, memoryMib: vcpus * 1024 } });

describe('placing instances', () => {
  it('spreads: each instance goes to the worker with the largest share of its vCPUs free', () => {
    const workers = [worker('w1', 'a', 8, [4]), worker('w2', 'a', 8), worker('w3', 'a', 16, [4])];
    expect(placeInstances(workers, need(2), 4).workers).toEqual(['w2', 'w3', 'w2', 'w3']);
  });

  it('never places beyond free vCPUs or memory, and stops when nothing fits', () => {
    const workers = [worker('w1', 'a', 4, [2]), worker('w2', 'a', 4, [], { memoryMib: 1024 })];
    expect(placeInstances(workers, need(2), 5).workers).toEqual(['w1']);
  });

  it('leaves out workers that are NotReady, in another zone or of another runtime', () => {
    const workers = [
      worker('down', 'a', 64, [], { ready: false }),
      worker('far', 'b', 64),
      worker('fake', 'a', 64, [], { runtime: 'fake' }),
      worker('ok', 'a', 2),
    ];
    expect(placeInstances(workers, { ...need(2), runtime: 'process' }, 3).workers).toEqual(['ok']);
  });

  it('picks the zone with the most free vCPUs for a launch that names none', () => {
    const workers = [
      worker('w1', 'a', 8, [6]),
      worker('w2', 'b', 4),
      worker('w3', 'b', 4, [], { ready: false }),
    ];
    expect(roomiestZone(workers, ['a', 'b'], '')).toBe('b');
    expect(roomiestZone([], ['a', 'b'], '')).toBe('a');
  });
});
