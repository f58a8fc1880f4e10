import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectDeviceFacilities, loopDevicesOf } from '@nimbus/block-storage';
import { createLogger } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, httpServerSource, makeTestInstance } from '../testing/test-instances.js';
import { deviceRootVolumes } from './device-root-volumes.js';
import { processesWithEnv } from './proc.js';
import { createProcessRuntime, workerIdEnv } from './process-runtime.js';

const logger = createLogger({ service: 'worker-test', level: 'silent' });
const facilities = await detectDeviceFacilities();
const missing = facilities.missing;
if (missing.length > 0)
  console.log(`device root volume tests skipped: this host lacks ${missing.join(', ')}`);

let home: string;
const workerId = randomBytes(6).toString('hex');

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'nimbus-worker-dev-'));
});
afterAll(async () => {
  for (const p of await processesWithEnv(workerIdEnv, workerId)) process.kill(p.pid, 'SIGKILL');
  await rm(home, { recursive: true, force: true });
});

describe.skipIf(missing.length > 0)('root volumes as mounted volume files', () => {
  it('boots an instance in its mounted ext4 root volume, throttles its IOPS, and unmounts it at stop', async () => {
    const content = join(home, 'image-content');
    await mkdir(content, { recursive: true });
    await writeFile(join(content, 'server.cjs'), httpServerSource);
    const volumeFile = join(home, 'vol.img');
    execFileSync('mke2fs', ['-q', '-t', 'ext4', '-d', content, volumeFile, '32M']);
    const runtime = createProcessRuntime({
      home,
      workerId,
      logger,
      rootVolumes: deviceRootVolumes(join(home, 'roots'), logger),
      sampleIntervalMs: 100,
      stopGraceMs: 2_000,
    });
    await runtime.recover();
    const instance = await makeTestInstance(home);
    const spec = {
      ...instance.spec,
      rootVolume: {
        volumeId: 'vol-0123456789abcdef0',
        hostPath: volumeFile,
        performance: { volumeType: 'io1', size: 32, iops: 500, throughput: 0 },
      },
    };
    await runtime.start(spec);
    const seen = await waitUntil(() => getJson<{ cwd: string }>(instance.url), {
      message: 'the instance to serve',
    });
    expect(seen.cwd).toBe(join(home, 'roots', spec.instanceId));
    const [device] = await loopDevicesOf(volumeFile);
    expect(device).toBeDefined();
    // The host has the blkio controller (or the tests would be skipped), so the limits are enforced.
    expect(runtime.observeInstance(spec.instanceId)?.limits.enforced).toBe(true);
    const group = join(
      facilities.blkioRoot as string,
      await ownBlkio(),
      `nimbus-${workerId}`,
      spec.instanceId,
    );
    const throttle = await readFile(join(group, 'blkio.throttle.read_iops_device'), 'utf8');
    expect(throttle).toContain(`${device?.number.major}:${device?.number.minor} 500`);
    await runtime.stop(spec.instanceId);
    expect(await loopDevicesOf(volumeFile)).toEqual([]);
    await runtime.close();
  });
});

async function ownBlkio(): Promise<string> {
  const text = await readFile('/proc/self/cgroup', 'utf8');
  return (
    text
      .split('\n')
      .map((line) => line.split(':'))
      .find(([, controllers]) => controllers?.split(',').includes('blkio'))?.[2] ?? '/'
  );
}
