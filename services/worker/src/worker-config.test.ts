import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@nimbus/runtime';
import { describe, expect, it } from 'vitest';
import { readWorkerConfig } from './worker-config.js';

describe('worker configuration', () => {
  it("offers the host's CPUs and memory by default and keeps its home under the region's", () => {
    const config = readWorkerConfig(
      { NIMBUS_ZONE: 'nimbus-1a', NIMBUS_HOME: '/srv/nimbus' },
      'worker-nimbus-1a',
    );
    expect(config).toMatchObject({
      zone: 'nimbus-1a',
      runtime: 'process',
      vcpus: availableParallelism(),
      memoryMiB: Math.floor(totalmem() / (1024 * 1024)),
      home: join('/srv/nimbus', 'workers', 'worker-nimbus-1a'),
      keepInstances: false,
      cgroups: 'auto',
    });
  });

  it('takes capacity, runtime and boot delay from the environment', () => {
    const config = readWorkerConfig(
      {
        NIMBUS_ZONE: 'nimbus-1b',
        NIMBUS_WORKER_RUNTIME: 'fake',
        NIMBUS_WORKER_VCPUS: '64',
        NIMBUS_WORKER_MEMORY_MIB: '262144',
        NIMBUS_WORKER_FAKE_BOOT_DELAY: '250ms',
      },
      'worker-nimbus-1b',
    );
    expect(config).toMatchObject({ runtime: 'fake', vcpus: 64, memoryMiB: 262_144, fakeBootDelayMs: 250 });
  });

  it('names every wrong setting at once', () => {
    let error: unknown;
    try {
      readWorkerConfig(
        {
          NIMBUS_WORKER_RUNTIME: 'vm',
          NIMBUS_WORKER_VCPUS: '0',
          NIMBUS_WORKER_CGROUPS: 'v2',
          NIMBUS_WORKER_MEMORY_MIB: 'lots',
        },
        'worker-x',
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((p) => p.env).sort()).toEqual([
      'NIMBUS_WORKER_CGROUPS',
      'NIMBUS_WORKER_MEMORY_MIB',
      'NIMBUS_WORKER_RUNTIME',
      'NIMBUS_WORKER_VCPUS',
      'NIMBUS_ZONE',
    ]);
  });
});
