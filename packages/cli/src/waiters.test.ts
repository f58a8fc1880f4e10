import { describe, expect, it } from 'vitest';
import { waiters } from './waiters.js';

const instances = (...states: string[]) => ({
  reservations: [{ instances: states.map((name, i) => ({ instanceId: `i-${i}`, state: { name } })) }],
});

describe('waiters', () => {
  it('waits for every instance to run, and gives up when one cannot any more', () => {
    const running = waiters['instance-running'];
    expect(running?.judge(instances('pending', 'running'))).toEqual({ kind: 'retry' });
    expect(running?.judge(instances('running', 'running'))).toEqual({ kind: 'done' });
    expect(running?.judge(instances('running', 'terminated'))).toEqual({
      kind: 'failure',
      reason: 'i-1 is terminated',
    });
    expect(running?.judge({ reservations: [] })).toEqual({ kind: 'retry' });
  });

  it('waits for stopped and terminated, and for the status checks', () => {
    expect(waiters['instance-stopped']?.judge(instances('stopping'))).toEqual({ kind: 'retry' });
    expect(waiters['instance-stopped']?.judge(instances('stopped'))).toEqual({ kind: 'done' });
    expect(waiters['instance-terminated']?.judge(instances('shutting-down'))).toEqual({ kind: 'retry' });
    expect(waiters['instance-terminated']?.judge(instances('terminated'))).toEqual({ kind: 'done' });
    const statuses = (status: string) => ({
      instanceStatuses: [{ instanceStatus: { status }, systemStatus: { status: 'ok' } }],
    });
    expect(waiters['instance-status-ok']?.judge(statuses('initializing'))).toEqual({ kind: 'retry' });
    expect(waiters['instance-status-ok']?.judge(statuses('ok'))).toEqual({ kind: 'done' });
    expect(waiters['system-status-ok']?.judge(statuses('impaired'))).toEqual({ kind: 'done' });
  });
});
