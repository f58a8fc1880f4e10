import { errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyTagKey } from '../controllers/image-controller.js';
import { accountB, useImageUnderTest } from '../testing/image-under-test.js';

// Deregistered images vanish quickly here, to see it happen.
const img = useImageUnderTest({ env: { NIMBUS_DEREGISTERED_IMAGE_RETENTION: '1500ms' } });
let sourceId = '';
let sourceSnapshot = '';

beforeAll(async () => {
  sourceSnapshot = await img.completedSnapshot();
  ({ imageId: sourceId } = await img.client.registerImage({
    name: 'copy-source',
    bootCommand: './boot.sh',
    blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { snapshotId: sourceSnapshot, volumeSize: 3 } }],
    tagSpecifications: [{ resourceType: 'image', tags: [{ key: 'team', value: 'blue' }] }],
  }));
});

const stateOf = async (imageId: string) =>
  (await img.client.describeImages({ imageIds: [imageId] })).images[0];
const copiesOf = async (imageId: string) =>
  (
    await img.storage.describeSnapshots({
      filters: [{ name: `tag:${copyTagKey}`, values: [`${imageId}:*`] }],
    })
  ).snapshots.map((s) => s.snapshotId);

describe('CopyImage', () => {
  it('copies: pending, then available with its own completed snapshots and the same boot command', async () => {
    const { imageId } = await img.client.copyImage({
      sourceImageId: sourceId,
      name: 'the copy',
      copyImageTags: true,
    });
    expect(imageId).not.toBe(sourceId);
    const copy = await waitUntil(
      async () => {
        const image = await stateOf(imageId);
        return image?.state === 'available' ? image : undefined;
      },
      { message: 'the copy available' },
    );
    const ebs = copy.blockDeviceMappings[0]?.ebs;
    expect(ebs?.snapshotId).not.toBe(sourceSnapshot);
    expect(ebs?.volumeSize).toBe(3);
    expect(copy).toMatchObject({ sourceImageId: sourceId, bootCommand: './boot.sh', public: false });
    expect(copy.tags).toEqual([expect.objectContaining({ key: 'team', value: 'blue' })]);
    const { snapshots } = await img.storage.describeSnapshots({ snapshotIds: [ebs?.snapshotId ?? ''] });
    expect(snapshots[0]?.state).toBe('completed');
    // The copy stands alone: deregistering it with its snapshots leaves the source whole.
    await img.client.deregisterImage({ imageId, deleteAssociatedSnapshots: true });
    expect((await img.storage.describeSnapshots({ snapshotIds: [sourceSnapshot] })).snapshots).toHaveLength(
      1,
    );
  });

  it('answers a retry with the same client token with the same image, other arguments with a mismatch', async () => {
    const first = await img.client.copyImage({
      sourceImageId: sourceId,
      name: 'tokened',
      clientToken: 'copy-1',
    });
    const again = await img.client.copyImage({
      sourceImageId: sourceId,
      name: 'tokened',
      clientToken: 'copy-1',
    });
    expect(again.imageId).toBe(first.imageId);
    expect(
      await errorCode(
        img.client.copyImage({ sourceImageId: sourceId, name: 'other', clientToken: 'copy-1' }),
      ),
    ).toBe('IdempotentParameterMismatch');
  });

  it('refuses what it cannot copy', async () => {
    expect(await errorCode(img.client.copyImage({ sourceImageId: sourceId, name: 'copy-source' }))).toBe(
      'InvalidAMIName.Duplicate',
    );
    expect(await errorCode(img.otherAccount.copyImage({ sourceImageId: sourceId, name: 'stolen' }))).toBe(
      'InvalidAMIID.NotFound',
    );
    expect(
      await errorCode(
        img.client.copyImage({ sourceImageId: sourceId, name: 'far', sourceRegion: 'elsewhere-1' }),
      ),
    ).toBe('InvalidParameterValue');
    expect(
      await errorCode(img.client.copyImage({ sourceImageId: sourceId, name: 'dry', dryRun: true })),
    ).toBe('DryRunOperation');
  });

  it("fails, leaving no snapshot, when block storage cannot copy another account's snapshot", async () => {
    await img.client.modifyImageAttribute({
      imageId: sourceId,
      launchPermission: { add: [{ userId: accountB }] },
    });
    const { imageId } = await img.otherAccount.copyImage({ sourceImageId: sourceId, name: 'cross-account' });
    const failed = await waitUntil(
      async () => {
        const image = (await img.otherAccount.describeImages({ imageIds: [imageId] })).images[0];
        return image?.state === 'failed' ? image : undefined;
      },
      { message: 'the cross-account copy failed' },
    );
    expect(failed.stateReason?.code).toBe('Client.CopyFailed');
    const left = await img.storageAsService.describeSnapshots(
      { filters: [{ name: `tag:${copyTagKey}`, values: [`${imageId}:*`] }] },
      { accountId: accountB },
    );
    expect(left.snapshots).toEqual([]);
  });

  it('deregistering a copy in progress removes the snapshots it had made', async () => {
    const { imageId } = await img.client.copyImage({ sourceImageId: sourceId, name: 'abandoned' });
    await img.client.deregisterImage({ imageId });
    await waitUntil(async () => (await copiesOf(imageId)).length === 0, { message: 'no copies left' });
    // The tombstone goes only once nothing is left to delete: looked at again then, still none.
    await waitUntil(
      async () =>
        (await errorCode(img.client.describeImages({ imageIds: [imageId] })).catch(() => '')) ===
        'InvalidAMIID.NotFound',
      { timeoutMs: 15_000, message: 'the tombstone gone' },
    );
    expect(await copiesOf(imageId)).toEqual([]);
  });

  it('refuses to copy an image that is still pending', async () => {
    const { imageId } = await img.client.copyImage({ sourceImageId: sourceId, name: 'still-pending' });
    expect(await errorCode(img.client.copyImage({ sourceImageId: imageId, name: 'copy-of-pending' }))).toBe(
      'InvalidAMIID.Unavailable',
    );
    await waitUntil(async () => (await stateOf(imageId))?.state === 'available', {
      message: 'the copy available',
    });
  });

  it('finishes a copy across a restart of the service', async () => {
    const { imageId } = await img.client.copyImage({ sourceImageId: sourceId, name: 'across-restart' });
    await img.restart();
    const copy = await waitUntil(
      async () => {
        const image = await stateOf(imageId);
        return image?.state === 'available' ? image : undefined;
      },
      { message: 'the copy available after the restart' },
    );
    // One copy of the snapshot, the one the image names.
    expect(await copiesOf(imageId)).toEqual([copy.blockDeviceMappings[0]?.ebs?.snapshotId]);
  });
});

describe('deregistered images', () => {
  it('vanish once the retention period has passed', async () => {
    const { imageId } = await img.client.registerImage({
      name: 'going',
      blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { snapshotId: sourceSnapshot } }],
    });
    await img.client.deregisterImage({ imageId });
    expect((await stateOf(imageId))?.state).toBe('deregistered');
    await waitUntil(
      async () =>
        (await errorCode(img.client.describeImages({ imageIds: [imageId] })).catch(() => '')) ===
        'InvalidAMIID.NotFound',
      { timeoutMs: 10_000, message: 'the tombstone gone' },
    );
  });
});
