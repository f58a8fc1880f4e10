import { WorkerService } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { createClient } from '@nimbus/runtime';
import { errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { useComputeUnderTest } from '../testing/compute-under-test.js';

// Leases of 2 s, instances lost 3 s after their worker turned NotReady (see compute-under-test).
const compute = useComputeUnderTest();
let imageId: string;
const workerEvents: string[] = [];

beforeAll(async () => {
  imageId = await compute.image();
  await compute.bus.subscribe({
    durable: 'worker-failure-test',
    subjects: ['nimbus.compute.worker.*'],
    startAt: 'all',
    async handler({ event }) {
      workerEvents.push(`${event.resourceId} ${event.subject.split('.').at(-1)}`);
    },
  });
}, 60_000);

const instanceOf = async (instanceId: string) =>
  (await compute.client.describeInstances({ instanceIds: [instanceId] })).reservations[0]?.instances[0];
const launchIn1b = async () =>
  (
    await compute.client.runInstances({
      imageId,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1b' },
    })
  ).instances[0]?.instanceId ?? '';

describe('a worker that vanishes', () => {
  it('loses the launch to another worker of the zone', async () => {
    const silent = await compute.worker({ workerName: 'silent-1b', zone: 'nimbus-1b' });
    silent.vanish();
    const instanceId = await launchIn1b();
    expect((await instanceOf(instanceId))?.workerName).toBe('silent-1b');
    const healthy = await compute.worker({ workerName: 'healthy-1b', zone: 'nimbus-1b' });
    await waitUntil(async () => (await instanceOf(instanceId))?.state?.name === 'running', {
      timeoutMs: 15_000,
      message: 'running elsewhere',
    });
    expect((await instanceOf(instanceId))?.workerName).toBe('healthy-1b');
    expect(healthy.running.has(instanceId)).toBe(true);
    await waitUntil(() => workerEvents.includes('silent-1b not-ready'), {
      timeoutMs: 5_000,
      message: 'not-ready event',
    });
    await compute.client.terminateInstances({ instanceIds: [instanceId] });
    await healthy.close();
  }, 30_000);

  it('turns its instances impaired, then loses them: terminated with Server.InternalError, nothing left', async () => {
    const worker = await compute.worker({ workerName: 'doomed-1b', zone: 'nimbus-1b' });
    const instanceId = await launchIn1b();
    await waitUntil(async () => (await instanceOf(instanceId))?.state?.name === 'running', {
      timeoutMs: 15_000,
    });
    const volumeId = (await instanceOf(instanceId))?.blockDeviceMappings[0]?.ebs?.volumeId ?? '';
    const eniId = (await instanceOf(instanceId))?.networkInterfaces[0]?.networkInterfaceId ?? '';
    expect(volumeId).not.toBe('');
    worker.vanish();
    await waitUntil(
      async () =>
        (await compute.client.describeInstanceStatus({ instanceIds: [instanceId] })).instanceStatuses[0]
          ?.systemStatus?.status === 'impaired',
      { timeoutMs: 10_000, message: 'system status impaired' },
    );
    expect((await instanceOf(instanceId))?.state?.name).toBe('running');
    await waitUntil(async () => (await instanceOf(instanceId))?.state?.name === 'terminated', {
      timeoutMs: 15_000,
      message: 'lost',
    });
    expect((await instanceOf(instanceId))?.stateReason?.code).toBe('Server.InternalError');
    expect(
      (await compute.storage.describeVolumes({ filters: [{ name: 'volume-id', values: [volumeId] }] }))
        .volumes,
    ).toHaveLength(0);
    expect(
      (
        await compute.network.describeNetworkInterfaces({
          filters: [{ name: 'network-interface-id', values: [eniId] }],
        })
      ).networkInterfaces,
    ).toHaveLength(0);
    expect(workerEvents).toContain('doomed-1b not-ready');
  }, 40_000);
});

describe('the WorkerService stream', () => {
  const firstAnswer = async (token: string, messages: object[]) => {
    const client = createClient(WorkerService, compute.address, { token });
    try {
      async function* requests() {
        yield* messages as never[];
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      for await (const answer of client.connect(requests(), { accountId: '000000000000' })) return answer;
      return undefined;
    } finally {
      client.close();
    }
  };
  const register = (fields: Record<string, unknown>) => ({
    message: {
      case: 'register',
      value: { workerName: 'w', zone: 'nimbus-1a', vcpus: 2, memoryMib: 2048, runtime: 'fake', ...fields },
    },
  });

  it('takes only the region service token, a Register first, and a sound one', async () => {
    expect(await errorCode(firstAnswer('token-a', [register({})]))).toBe('UnauthorizedOperation');
    expect(
      await errorCode(firstAnswer(compute.serviceToken, [{ message: { case: 'heartbeat', value: {} } }])),
    ).toBe('FailedPrecondition');
    expect(await errorCode(firstAnswer(compute.serviceToken, [register({ zone: 'mars-1a' })]))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(firstAnswer(compute.serviceToken, [register({ runtime: 'vm' })]))).toBe(
      'InvalidParameterValue',
    );
    const answer = await firstAnswer(compute.serviceToken, [register({ workerName: 'sound-1a' })]);
    expect(answer?.message.case).toBe('registered');
    expect(answer?.message.value).toMatchObject({
      workerName: 'sound-1a',
      region: 'nimbus-1',
      leaseTtlMs: 2000,
    });
  });
});
