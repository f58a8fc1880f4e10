import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import type { ObservedInstance } from '../runtime/instance-runtime.js';
import { defaultMetadataOptions, type InstanceSpec } from '../runtime/instance-spec.js';
import { createFakeRuntime } from './fake-runtime.js';

function spec(n: number): InstanceSpec {
  return {
    instanceId: `i-${n.toString(16).padStart(17, '0')}`,
    accountId: '111111111111',
    region: 'nimbus-1',
    availabilityZone: 'nimbus-1a',
    imageId: 'ami-0123456789abcdef0',
    instanceType: 't3.nano',
    vcpus: 2,
    memoryMiB: 512,
    privateIp: '127.16.0.10',
    bootCommand: 'sleep 1000',
    userData: new Uint8Array(),
    securityGroups: [],
    rootVolume: { volumeId: 'vol-0123456789abcdef0' },
    metadataOptions: defaultMetadataOptions,
    launchTime: new Date(),
  };
}

describe('fake runtime', () => {
  it('boots after its configured delay, without a process', async () => {
    const runtime = createFakeRuntime({ bootDelayMs: 150 });
    const started = Date.now();
    await runtime.start(spec(1));
    expect(runtime.observe()[0]).toMatchObject({ phase: 'starting', limits: { enforced: false } });
    expect(runtime.observe()[0]?.pid).toBeUndefined();
    await waitUntil(() => runtime.observe()[0]?.phase === 'running');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await runtime.close();
  });

  it('runs thousands of instances, reboots, stops, exits and removes them', async () => {
    const runtime = createFakeRuntime();
    const changes: ObservedInstance[] = [];
    runtime.onChange((o) => changes.push(o));
    for (let n = 0; n < 5_000; n++) await runtime.start(spec(n));
    expect(runtime.observe().filter((o) => o.phase === 'running')).toHaveLength(5_000);

    await runtime.reboot(spec(1).instanceId);
    await runtime.stop(spec(2).instanceId);
    runtime.exit(spec(3).instanceId, 0);
    runtime.exit(spec(4).instanceId, 137);
    await runtime.remove(spec(5).instanceId);
    const byId = new Map(runtime.observe().map((o) => [o.instanceId, o]));
    expect(byId.get(spec(1).instanceId)).toMatchObject({ phase: 'running', bootCount: 2 });
    expect(byId.get(spec(2).instanceId)?.phase).toBe('stopped');
    expect(byId.get(spec(3).instanceId)).toMatchObject({ phase: 'exited', exit: { code: 0 } });
    expect(byId.get(spec(4).instanceId)).toMatchObject({ phase: 'crashed', exit: { code: 137 } });
    expect(byId.has(spec(5).instanceId)).toBe(false);
    expect(byId.size).toBe(4_999);
    expect(await runtime.consoleOutput(spec(2).instanceId)).toContain('stopped');

    // A start of a running instance changes nothing; of a stopped one, boots it again.
    const before = changes.length;
    await runtime.start(spec(0));
    expect(changes.length).toBe(before);
    await runtime.start(spec(2));
    expect(runtime.observe().find((o) => o.instanceId === spec(2).instanceId)).toMatchObject({
      phase: 'running',
      bootCount: 2,
    });
    await runtime.close();
  });
});
