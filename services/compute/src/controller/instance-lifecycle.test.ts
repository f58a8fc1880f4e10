import { errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountB, useComputeUnderTest } from '../testing/compute-under-test.js';
import type { TestWorker } from '../testing/test-worker.js';

const compute = useComputeUnderTest();
let worker: TestWorker;
let imageId: string;
const transitions = new Map<string, string[]>();

beforeAll(async () => {
  worker = await compute.worker({ workerName: 'w-1a', zone: 'nimbus-1a' });
  imageId = await compute.image();
  await compute.bus.subscribe({
    durable: 'lifecycle-test',
    subjects: ['nimbus.compute.instance.state-changed'],
    startAt: 'all',
    async handler({ event }) {
      const detail = JSON.parse(event.detailJson) as { previousState: string; currentState: string };
      const seen = transitions.get(event.resourceId) ?? [];
      seen.push(`${detail.previousState || '-'}>${detail.currentState}`);
      transitions.set(event.resourceId, seen);
    },
  });
}, 60_000);

const instanceOf = async (instanceId: string) =>
  (await compute.client.describeInstances({ instanceIds: [instanceId] })).reservations[0]?.instances[0];
const desiredPublicIp = (instanceId: string) => worker.desired.get(instanceId)?.publicIp;
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
    // The default subnet maps public addresses: one from the pool, given up at stop, a new one at start.
    expect(up?.publicIpAddress).toMatch(/^127\.64\./);
    expect(desiredPublicIp(instanceId)).toBe(up?.publicIpAddress);
    expect(up?.privateIpAddress).toMatch(/^127\.16\./);
    expect(up?.blockDeviceMappings[0]?.deviceName).toBe('/dev/xvda');
    const rootId = up?.blockDeviceMappings[0]?.ebs?.volumeId ?? '';
    const root = (await compute.storage.describeVolumes({ volumeIds: [rootId] })).volumes[0];
    expect(root?.state).toBe('in-use');
    expect(root?.attachments.map((a) => [a.instanceId, a.device])).toEqual([[instanceId, '/dev/xvda']]);
    expect(worker.running.has(instanceId)).toBe(true);
    const desired = worker.desired.get(instanceId);
    expect(desired?.privateIp).toBe(up?.privateIpAddress);
    expect([desired?.subnetCidrBlock, desired?.vpcCidrBlock]).toEqual(['127.16.0.0/20', '127.16.0.0/16']);
    const eniId = up?.networkInterfaces[0]?.networkInterfaceId ?? '';
    const eni = (await compute.network.describeNetworkInterfaces({ networkInterfaceIds: [eniId] }))
      .networkInterfaces[0];
    expect([eni?.status, eni?.attachment?.instanceId, eni?.attachment?.deviceIndex]).toEqual([
      'in-use',
      instanceId,
      0,
    ]);
    expect(desired?.volumes.find((v) => v.isRoot)?.hostPath).not.toBe('');

    const stop = await compute.client.stopInstances({ instanceIds: [instanceId] });
    expect(stop.stoppingInstances[0]?.currentState?.name).toBe('stopping');
    expect(stop.stoppingInstances[0]?.previousState?.name).toBe('running');
    await waitForState(instanceId, 'stopped');
    const stopped = await instanceOf(instanceId);
    expect(stopped?.stateReason?.code).toBe('Client.UserInitiatedShutdown');
    expect(stopped?.stateTransitionReason).toMatch(/^User initiated \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\)$/);
    expect(stopped?.privateIpAddress).toBe(up?.privateIpAddress);
    expect(stopped?.publicIpAddress).toBe('');
    expect(worker.running.has(instanceId)).toBe(false);

    await compute.client.startInstances({ instanceIds: [instanceId] });
    await waitForState(instanceId, 'running');
    expect((await instanceOf(instanceId))?.publicIpAddress).toMatch(/^127\.64\./);
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
    await waitUntil(() => transitions.get(instanceId)?.length === 8, {
      timeoutMs: 5_000,
      message: 'eight state events',
    });
    expect(transitions.get(instanceId)).toEqual([
      '->pending',
      'pending>running',
      'running>stopping',
      'stopping>stopped',
      'stopped>pending',
      'pending>running',
      'running>shutting-down',
      'shutting-down>terminated',
    ]);
  }, 60_000);

  it('keeps what the instance printed, and reports its checks', async () => {
    const run = await compute.client.runInstances({
      imageId,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    const instanceId = run.instances[0]?.instanceId ?? '';
    await waitForState(instanceId, 'running');
    worker.print(instanceId, 'x'.repeat(70 * 1024));
    worker.print(instanceId, 'the end\n');
    await waitUntil(
      async () =>
        Buffer.from((await compute.client.getConsoleOutput({ instanceId })).output, 'base64')
          .toString()
          .endsWith('the end\n'),
      { timeoutMs: 5_000, message: 'console output' },
    );
    const output = Buffer.from((await compute.client.getConsoleOutput({ instanceId })).output, 'base64');
    expect(output.length).toBe(64 * 1024);
    // Tags reach the worker (its metadata service serves them when allowed).
    await compute.client.createTags({ resources: [instanceId], tags: [{ key: 'role', value: 'web' }] });
    await waitUntil(() => worker.desired.get(instanceId)?.tags.role === 'web', {
      timeoutMs: 5_000,
      message: 'tags told',
    });
    const status = await compute.client.describeInstanceStatus({ instanceIds: [instanceId] });
    expect(status.instanceStatuses[0]?.systemStatus?.status).toBe('ok');
    expect(status.instanceStatuses[0]?.instanceStatus?.status).toBe('ok');
    worker.exit(instanceId, 0);
    // InstanceInitiatedShutdownBehavior defaults to stop.
    await waitForState(instanceId, 'stopped');
    expect((await instanceOf(instanceId))?.stateReason?.code).toBe('Client.InstanceInitiatedShutdown');
    expect(
      (await compute.client.describeInstanceStatus({ instanceIds: [instanceId] })).instanceStatuses,
    ).toHaveLength(0);
    const all = await compute.client.describeInstanceStatus({
      instanceIds: [instanceId],
      includeAllInstances: true,
    });
    expect(all.instanceStatuses[0]?.instanceState?.name).toBe('stopped');
    await compute.client.terminateInstances({ instanceIds: [instanceId] });
  }, 30_000);

  it('marks a crashed boot process impaired, and terminates one whose shutdown behaviour says so', async () => {
    const run = await compute.client.runInstances({
      imageId,
      minCount: 2,
      maxCount: 2,
      placement: { availabilityZone: 'nimbus-1a' },
      instanceInitiatedShutdownBehavior: 'terminate',
    });
    const [crashing, exiting] = run.instances.map((i) => i.instanceId) as [string, string];
    await Promise.all([waitForState(crashing, 'running'), waitForState(exiting, 'running')]);
    worker.exit(crashing, 3);
    await waitUntil(
      async () =>
        (await compute.client.describeInstanceStatus({ instanceIds: [crashing] })).instanceStatuses[0]
          ?.instanceStatus?.status === 'impaired',
      { timeoutMs: 5_000, message: 'impaired' },
    );
    expect(await stateOf(crashing)).toBe('running');
    worker.exit(exiting, 0);
    await waitForState(exiting, 'terminated');
    expect((await instanceOf(exiting))?.stateReason?.code).toBe('Client.InstanceInitiatedShutdown');
    await compute.client.terminateInstances({ instanceIds: [crashing] });
    await waitForState(crashing, 'terminated');
  }, 30_000);

  it('shows an associated Elastic IP as the public address, to users and to the worker', async () => {
    const run = await compute.client.runInstances({
      imageId,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    const instanceId = run.instances[0]?.instanceId ?? '';
    await waitForState(instanceId, 'running');
    const auto = (await instanceOf(instanceId))?.publicIpAddress ?? '';
    const eniId = (await instanceOf(instanceId))?.networkInterfaces[0]?.networkInterfaceId ?? '';
    const { allocationId, publicIp } = await compute.network.allocateAddress({});
    const { associationId } = await compute.network.associateAddress({
      allocationId,
      networkInterfaceId: eniId,
    });
    await waitUntil(async () => (await instanceOf(instanceId))?.publicIpAddress === publicIp, {
      timeoutMs: 10_000,
      message: 'the Elastic IP shown',
    });
    await waitUntil(() => desiredPublicIp(instanceId) === publicIp, {
      timeoutMs: 5_000,
      message: 'the worker told',
    });
    const byIp = await compute.client.describeInstances({
      filters: [{ name: 'ip-address', values: [publicIp] }],
    });
    expect(byIp.reservations.flatMap((r) => r.instances.map((i) => i.instanceId))).toEqual([instanceId]);
    await compute.network.disassociateAddress({ associationId });
    await waitUntil(async () => (await instanceOf(instanceId))?.publicIpAddress === auto, {
      timeoutMs: 10_000,
      message: 'back to the auto-assigned address',
    });
    await compute.network.releaseAddress({ allocationId });
    await compute.client.terminateInstances({ instanceIds: [instanceId] });
    await waitForState(instanceId, 'terminated');
  }, 30_000);

  it("launches another account's image shared with it, its root volume the launching account's", async () => {
    const shared = await compute.image('exec sleep infinity');
    await compute.images.modifyImageAttribute({
      imageId: shared,
      launchPermission: { add: [{ userId: accountB }] },
    });
    const run = await compute.otherAccount.runInstances({
      imageId: shared,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    const instanceId = run.instances[0]?.instanceId ?? '';
    const asB = async () =>
      (await compute.otherAccount.describeInstances({ instanceIds: [instanceId] })).reservations[0]
        ?.instances[0];
    await waitUntil(async () => (await asB())?.state?.name === 'running', {
      timeoutMs: 15_000,
      message: 'B runs it',
    });
    expect((await asB())?.ownerId).toBe(accountB);
    expect((await asB())?.imageId).toBe(shared);
    // The root volume is B's: A, who owns the image and its snapshot, does not see it.
    const rootId = (await asB())?.blockDeviceMappings[0]?.ebs?.volumeId ?? '';
    expect(rootId).toMatch(/^vol-/);
    expect(await errorCode(compute.storage.describeVolumes({ volumeIds: [rootId] }))).toBe(
      'InvalidVolume.NotFound',
    );
    await compute.otherAccount.terminateInstances({ instanceIds: [instanceId] });
    await waitUntil(async () => (await asB())?.state?.name === 'terminated', { timeoutMs: 15_000 });
  }, 30_000);
});
