import { createRecords } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeKeys } from '../state/compute-keys.js';
import type { InstanceRecord } from '../state/instance-records.js';
import { accountA, useComputeUnderTest } from '../testing/compute-under-test.js';
import type { TestWorker } from '../testing/test-worker.js';

const compute = useComputeUnderTest();
let imageId: string;
let worker: TestWorker;

beforeAll(async () => {
  imageId = await compute.image();
  worker = await compute.worker({ workerName: 'steady-1a', zone: 'nimbus-1a', vcpus: 32, memoryMib: 65536 });
}, 60_000);

const stateOf = async (instanceId: string) =>
  (await compute.client.describeInstances({ instanceIds: [instanceId] })).reservations[0]?.instances[0]?.state
    ?.name;

describe('compute killed mid-launch', () => {
  it('converges on restart: every instance runs, none is launched twice, nothing is made twice', async () => {
    const volumesBefore = (await compute.storage.describeVolumes({})).volumes.length;
    const interfacesBefore = (await compute.network.describeNetworkInterfaces({})).networkInterfaces.length;
    const run = await compute.client.runInstances({
      imageId,
      minCount: 4,
      maxCount: 4,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    const ids = run.instances.map((i) => i.instanceId);
    const records = createRecords<InstanceRecord>(compute.store);
    // Stop compute as soon as some launch has made its first resource.
    await waitUntil(
      async () => {
        for (const id of ids) {
          const r = await records.get(computeKeys.instance(accountA, id));
          if (r?.value.volumes.some((v) => v.volumeId !== '')) return true;
        }
        return false;
      },
      { timeoutMs: 10_000, intervalMs: 5 },
    );
    await compute.stopCompute();
    // As if compute died after block storage made a volume but before the record said so.
    for (const id of ids) {
      const r = await records.get(computeKeys.instance(accountA, id));
      if (!r?.value.volumes.some((v) => v.volumeId !== '')) continue;
      const forgotten = r.value.volumes.map((v) => ({ ...v, volumeId: '', hostPath: '', ready: false }));
      expect(await records.update(r, { ...r.value, volumes: forgotten })).toBe(true);
      break;
    }
    await compute.startCompute();
    for (const id of ids)
      await waitUntil(async () => (await stateOf(id)) === 'running', {
        timeoutMs: 20_000,
        message: `${id} running`,
      });
    expect((await compute.storage.describeVolumes({})).volumes.length).toBe(volumesBefore + 4);
    expect((await compute.network.describeNetworkInterfaces({})).networkInterfaces.length).toBe(
      interfacesBefore + 4,
    );
    await waitUntil(() => ids.every((id) => worker.running.has(id)), {
      timeoutMs: 10_000,
      message: 'all on the worker',
    });
    expect(worker.running.size).toBe(4);

    // A restart while they run changes nothing: the worker is told the same set again.
    const fullSets = worker.fullSets;
    await compute.restartCompute();
    await waitUntil(() => worker.fullSets > fullSets, {
      timeoutMs: 10_000,
      message: 'the worker reconnected',
    });
    expect(new Set(worker.running.keys())).toEqual(new Set(ids));
    for (const id of ids) expect(await stateOf(id)).toBe('running');
    await compute.client.terminateInstances({ instanceIds: ids });
    for (const id of ids)
      await waitUntil(async () => (await stateOf(id)) === 'terminated', { timeoutMs: 20_000 });
    expect((await compute.storage.describeVolumes({})).volumes.length).toBe(volumesBefore);
    expect((await compute.network.describeNetworkInterfaces({})).networkInterfaces.length).toBe(
      interfacesBefore,
    );
  }, 90_000);

  it('terminates an instance whose attachments compute died before recording, leaving nothing', async () => {
    const volumesBefore = (await compute.storage.describeVolumes({})).volumes.length;
    const interfacesBefore = (await compute.network.describeNetworkInterfaces({})).networkInterfaces.length;
    const run = await compute.client.runInstances({
      imageId,
      minCount: 1,
      maxCount: 1,
      placement: { availabilityZone: 'nimbus-1a' },
    });
    const id = run.instances[0]?.instanceId ?? '';
    await waitUntil(async () => (await stateOf(id)) === 'running', { timeoutMs: 20_000 });
    const records = createRecords<InstanceRecord>(compute.store);
    const record = await records.get(computeKeys.instance(accountA, id));
    if (!record) throw new Error('no record');
    expect(record.value.attachmentId).not.toBe('');
    const unrecorded = {
      ...record.value,
      attachmentId: '',
      volumes: record.value.volumes.map((v) => ({ ...v, attached: false })),
    };
    expect(await records.update(record, unrecorded)).toBe(true);
    await compute.client.terminateInstances({ instanceIds: [id] });
    await waitUntil(async () => (await stateOf(id)) === 'terminated', { timeoutMs: 20_000 });
    expect((await compute.storage.describeVolumes({})).volumes.length).toBe(volumesBefore);
    expect((await compute.network.describeNetworkInterfaces({})).networkInterfaces.length).toBe(
      interfacesBefore,
    );
  }, 40_000);
});
