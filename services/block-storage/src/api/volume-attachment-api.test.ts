import type { Volume } from '@nimbus/api/gen/nimbus/storage/v1/volume_pb';
import { refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { accountA, useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

const bs = useBlockStorageUnderTest({ volumeFilesystem: 'none' });
const forA = { accountId: accountA };
let nextInstance = 0x100;
const newInstanceId = () => `i-${(nextInstance++).toString(16).padStart(17, '0')}`;

async function describeVolume(volumeId: string): Promise<Volume | undefined> {
  return (await bs.client.describeVolumes({ volumeIds: [volumeId] })).volumes[0];
}

async function availableVolume(request: Parameters<typeof bs.client.createVolume>[0]): Promise<string> {
  const { volume } = await bs.client.createVolume(request);
  const id = volume?.volumeId ?? '';
  await waitUntil(async () => (await describeVolume(id))?.state === 'available', {
    message: `${id} available`,
  });
  return id;
}

/** Attaches as the compute service does: acting for the account, with the instance's zone. */
function attach(volumeId: string, instanceId: string, device = '/dev/sdf', zone = 'nimbus-1a') {
  return bs.asService.attachVolume({ volumeId, instanceId, device, instanceAvailabilityZone: zone }, forA);
}

async function attached(volumeId: string, instanceId: string) {
  await waitUntil(
    async () =>
      (await describeVolume(volumeId))?.attachments.find((a) => a.instanceId === instanceId)?.state ===
      'attached',
    { message: `${volumeId} attached to ${instanceId}` },
  );
}

async function detached(volumeId: string) {
  await waitUntil(async () => (await describeVolume(volumeId))?.state === 'available', {
    message: `${volumeId} detached`,
  });
}

describe('AttachVolume and DetachVolume', () => {
  it('attaches (attaching -> attached, volume in-use) and detaches (detaching -> available), with events', async () => {
    const seen: string[] = [];
    const subscription = await bs.bus.subscribe({
      durable: 'attachment-events-test',
      subjects: ['nimbus.storage.volume.attached', 'nimbus.storage.volume.detached'],
      handler: async ({ event }) => {
        seen.push(
          `${event.subject.split('.').pop()} ${event.resourceId} ${JSON.parse(event.detailJson).device}`,
        );
      },
    });
    try {
      const volumeId = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
      const instanceId = newInstanceId();
      const { attachment } = await attach(volumeId, instanceId);
      expect(attachment).toMatchObject({ volumeId, instanceId, device: '/dev/sdf', state: 'attaching' });
      await attached(volumeId, instanceId);
      const volume = await describeVolume(volumeId);
      expect(volume?.state).toBe('in-use');
      expect(volume?.attachments).toMatchObject([
        { instanceId, device: '/dev/sdf', deleteOnTermination: false },
      ]);
      const byInstance = await bs.client.describeVolumes({
        filters: [{ name: 'attachment.instance-id', values: [instanceId] }],
      });
      expect(byInstance.volumes.map((v) => v.volumeId)).toEqual([volumeId]);
      expect(await refusal(bs.client.deleteVolume({ volumeId }))).toMatchObject({
        code: 'VolumeInUse',
        message: `Volume ${volumeId} is currently attached to ${instanceId}`,
      });

      const { attachment: leaving } = await bs.client.detachVolume({ volumeId });
      expect(leaving).toMatchObject({ instanceId, state: 'detaching' });
      await detached(volumeId);
      expect((await describeVolume(volumeId))?.attachments).toEqual([]);
      expect(await refusal(bs.client.detachVolume({ volumeId }))).toEqual({
        code: 'IncorrectState',
        message: `Volume '${volumeId}' is in the 'available' state.`,
      });
      await waitUntil(() => seen.length >= 2, { message: 'attached and detached events' });
      expect(seen).toEqual([`attached ${volumeId} /dev/sdf`, `detached ${volumeId} /dev/sdf`]);

      // Detached, its device is free again on that instance.
      await attach(volumeId, instanceId);
      await attached(volumeId, instanceId);
      await bs.client.detachVolume({ volumeId, instanceId, device: '/dev/sdf' });
      await detached(volumeId);
    } finally {
      await subscription.close();
    }
  });

  it("refuses what EC2 refuses, with EC2's codes", async () => {
    const volumeId = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const other = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const instanceId = newInstanceId();
    expect(await refusal(attach(volumeId, instanceId, '/dev/sdf', 'nimbus-1b'))).toEqual({
      code: 'InvalidVolume.ZoneMismatch',
      message: `The volume '${volumeId}' is not in the same availability zone as instance '${instanceId}'`,
    });
    expect(await refusal(attach(volumeId, instanceId, '/dev/sdz'))).toMatchObject({
      code: 'InvalidParameterValue',
      message: expect.stringMatching(
        /^Value \(\/dev\/sdz\) for parameter device is invalid\. \/dev\/sdz is not a valid EBS device name/,
      ),
    });
    expect(await refusal(attach(volumeId, 'i-123'))).toMatchObject({ code: 'InvalidInstanceID.Malformed' });
    expect(await refusal(attach('vol-0123456789abcdef0', instanceId))).toMatchObject({
      code: 'InvalidVolume.NotFound',
    });
    expect(await refusal(bs.client.attachVolume({ volumeId, instanceId, device: '/dev/sdf' }))).toMatchObject(
      { code: 'MissingParameter', message: expect.stringContaining('InstanceAvailabilityZone') },
    );
    expect(
      await refusal(
        bs.client.attachVolume({
          volumeId,
          instanceId,
          device: '/dev/sdf',
          instanceAvailabilityZone: 'nimbus-1a',
          dryRun: true,
        }),
      ),
    ).toMatchObject({ code: 'DryRunOperation' });

    await attach(volumeId, instanceId);
    expect(await refusal(attach(volumeId, newInstanceId(), '/dev/sdg'))).toMatchObject({
      code: 'VolumeInUse',
    });
    expect(await refusal(attach(volumeId, instanceId, '/dev/sdg'))).toMatchObject({ code: 'VolumeInUse' });
    expect(await refusal(attach(other, instanceId, '/dev/sdf'))).toEqual({
      code: 'InvalidParameterValue',
      message: 'Attachment point /dev/sdf is already in use',
    });
    expect(await refusal(bs.client.detachVolume({ volumeId, instanceId: newInstanceId() }))).toMatchObject({
      code: 'InvalidAttachment.NotFound',
    });
    expect(await refusal(bs.client.detachVolume({ volumeId, dryRun: true }))).toMatchObject({
      code: 'DryRunOperation',
    });
    // Another account does not see the volume at all.
    expect(await refusal(bs.otherAccount.detachVolume({ volumeId }))).toMatchObject({
      code: 'InvalidVolume.NotFound',
    });
    await bs.client.detachVolume({ volumeId, force: true });
    expect((await describeVolume(volumeId))?.state).toBe('available');
  });

  it('lets one of two concurrent attaches of a single-attach volume win', async () => {
    const volumeId = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const [a, b] = [newInstanceId(), newInstanceId()];
    const outcomes = await Promise.allSettled([attach(volumeId, a), attach(volumeId, b)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await describeVolume(volumeId))?.attachments).toHaveLength(1);
    await bs.client.detachVolume({ volumeId, force: true });
  });

  it('attaches a multi-attach io2 volume to up to 16 instances, and needs the instance to detach one', async () => {
    const volumeId = await availableVolume({
      availabilityZone: 'nimbus-1a',
      size: 10,
      volumeType: 'io2',
      iops: 1000,
      multiAttachEnabled: true,
    });
    const instances = Array.from({ length: 16 }, newInstanceId);
    for (const instanceId of instances) await attach(volumeId, instanceId);
    expect((await describeVolume(volumeId))?.attachments).toHaveLength(16);
    expect(await refusal(attach(volumeId, newInstanceId()))).toMatchObject({
      code: 'AttachmentLimitExceeded',
    });
    expect(await refusal(attach(volumeId, newInstanceId(), '/dev/xvda'))).toMatchObject({
      code: 'AttachmentLimitExceeded',
    });
    expect(await refusal(bs.client.detachVolume({ volumeId }))).toMatchObject({
      code: 'MissingParameter',
      message: expect.stringContaining('InstanceId'),
    });
    await bs.client.detachVolume({ volumeId, instanceId: instances[0] as string });
    await waitUntil(async () => (await describeVolume(volumeId))?.attachments.length === 15, {
      message: 'one detached',
    });
    expect((await describeVolume(volumeId))?.state).toBe('in-use');
    expect(await refusal(attach(volumeId, newInstanceId(), '/dev/xvda'))).toMatchObject({
      code: 'InvalidParameterCombination',
    });
  });

  it('leaves the root volume to the compute service to detach', async () => {
    const volumeId = await availableVolume({ availabilityZone: 'nimbus-1b', size: 8, volumeType: 'gp3' });
    const instanceId = newInstanceId();
    const { attachment } = await bs.asService.attachVolume(
      {
        volumeId,
        instanceId,
        device: '/dev/xvda',
        instanceAvailabilityZone: 'nimbus-1b',
        deleteOnTermination: true,
      },
      forA,
    );
    expect(attachment).toMatchObject({ device: '/dev/xvda', deleteOnTermination: true });
    await attached(volumeId, instanceId);
    expect(await refusal(bs.client.detachVolume({ volumeId }))).toMatchObject({
      code: 'OperationNotPermitted',
      message: expect.stringMatching(
        new RegExp(`^Unable to detach root volume '${volumeId}' from instance '${instanceId}'`),
      ),
    });
    await bs.asService.detachVolume({ volumeId }, forA);
    await detached(volumeId);
  });

  it('finishes attaches and detaches a stopped service left halfway', async () => {
    const volumeId = await availableVolume({ availabilityZone: 'nimbus-1a', size: 1 });
    const [a, b] = [newInstanceId(), newInstanceId()];
    const key = `/nimbus/storage/volumes/${accountA}/${volumeId}`;
    const stored = await bs.store.get(key);
    const record = JSON.parse(stored?.value ?? '{}');
    const halfway = {
      ...record,
      state: 'in-use',
      multiAttachEnabled: true,
      attachments: [
        {
          instanceId: a,
          device: '/dev/sdf',
          state: 'attaching',
          attachTime: new Date().toISOString(),
          deleteOnTermination: false,
        },
        {
          instanceId: b,
          device: '/dev/sdg',
          state: 'detaching',
          attachTime: new Date().toISOString(),
          deleteOnTermination: false,
        },
      ],
    };
    await bs.store.update(key, JSON.stringify(halfway), stored?.modRevision ?? 0);
    await bs.restart();
    await waitUntil(
      async () => {
        const attachments = (await describeVolume(volumeId))?.attachments ?? [];
        return (
          attachments.length === 1 && attachments[0]?.instanceId === a && attachments[0]?.state === 'attached'
        );
      },
      { message: 'the sweep finished both' },
    );
  });
});
