import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { useComputeUnderTest } from '../testing/compute-under-test.js';
import type { TestWorker } from '../testing/test-worker.js';

const compute = useComputeUnderTest();
let worker: TestWorker;
let imageId: string;

beforeAll(async () => {
  worker = await compute.worker({ workerName: 'w-1a', zone: 'nimbus-1a' });
  imageId = await compute.image();
}, 60_000);

const instanceOf = async (instanceId: string) =>
  (await compute.client.describeInstances({ instanceIds: [instanceId] })).reservations[0]?.instances[0];
const stateOf = async (instanceId: string) => (await instanceOf(instanceId))?.state?.name;
const waitForState = (instanceId: string, state: string) =>
  waitUntil(async () => (await stateOf(instanceId)) === state, {
    timeoutMs: 15_000,
    message: `${instanceId} ${state}`,
  });

describe('an instance on a worker', () => {
  it('launches, stops, starts, reboots and terminates, leaving nothing behind', async () => {
    const volumesBefore = (await compute.storage.describeVolumes({})).volumes.length;
    const interfacesBefore = (await compute.network.describeNetworkInterfaces({})).networkInterfaces.length;
    const run = await compute.client.runInstances({
      imageId,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    const instanceId = run.instances[0]?.instanceId ?? '';
    expect(run.instances[0]?.state?.name).toBe('pending');
    expect(run.instances[0]?.instanceType).toBe('t3.micro');
    await waitForState(instanceId, 'running');
    const up = await instanceOf(instanceId);
    expect(up?.workerName).toBe('w-1a');
    expect(up?.privateIpAddress).toMatch(/^127\.16\./);
    expect(up?.blockDeviceMappings[0]?.deviceName).toBe('/dev/xvda');
    expect(worker.running.has(instanceId)).toBe(true);
    const desired = worker.desired.get(instanceId);
    expect(desired?.privateIp).toBe(up?.privateIpAddress);
    expect(desired?.volumes.find((v) => v.isRoot)?.hostPath).not.toBe('');

    const stop = await compute.client.stopInstances({ instanceIds: [instanceId] });
    expect(stop.stoppingInstances[0]?.currentState?.name).toBe('stopping');
    expect(stop.stoppingInstances[0]?.previousState?.name).toBe('running');
    await waitForState(instanceId, 'stopped');
    const stopped = await instanceOf(instanceId);
    expect(stopped?.stateReason?.code).toBe('Client.UserInitiatedShutdown');
    expect(stopped?.stateTransitionReason).toMatch(/^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
    expect(stopped?.privateIpAddress).toBe(up?.privateIpAddress);
    expect(worker.running.has(instanceId)).toBe(false);

    await compute.client.startInstances({ instanceIds: [instanceId] });
    await waitForState(instanceId, 'running');
    expect(worker.running.get(instanceId)).toBe(0n);

    await compute.client.rebootInstances({ instanceIds: [instanceId] });
    await waitUntil(() => worker.running.get(instanceId) === 1n, { timeoutMs: 10_000, message: 'rebooted' });
    expect(await stateOf(instanceId)).toBe('running');

    const terminate = await compute.client.terminateInstances({ instanceIds: [instanceId] });
    expect(terminate.terminatingInstances[0]?.currentState?.name).toBe('shutting-down');
    await waitForState(instanceId, 'terminated');
    expect(worker.desired.has(instanceId)).toBe(false);
    expect((await compute.storage.describeVolumes({})).volumes.length).toBe(volumesBefore);
    expect((await compute.network.describeNetworkInterfaces({})).networkInterfaces.length).toBe(
      interfacesBefore,
    );
    const again = await compute.client.terminateInstances({ instanceIds: [instanceId] });
    expect(again.terminatingInstances[0]?.currentState?.name).toBe('terminated');
    expect(again.terminatingInstances[0]?.previousState?.name).toBe('terminated');
  }, 60_000);
});
