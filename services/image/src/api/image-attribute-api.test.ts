import { errorCode, refusal } from '@nimbus/service-kit';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountA, accountB, useImageUnderTest } from '../testing/image-under-test.js';

const img = useImageUnderTest();
let snapshotId = '';
let imageId = '';

beforeAll(async () => {
  snapshotId = await img.completedSnapshot();
  ({ imageId } = await img.client.registerImage({
    name: 'attributes',
    description: 'first',
    blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { snapshotId } }],
  }));
});

const visibleToB = async () =>
  (await img.otherAccount.describeImages({ filters: [{ name: 'image-id', values: [imageId] }] })).images
    .length === 1;
const launchPermissions = async () =>
  (await img.client.describeImageAttribute({ imageId, attribute: 'launchPermission' })).launchPermissions.map(
    (p) => p.userId || `group:${p.group}`,
  );

describe('launch permissions across two accounts', () => {
  it('shares with one account, makes public, and takes both back', async () => {
    expect(await visibleToB()).toBe(false);
    await img.client.modifyImageAttribute({
      imageId,
      attribute: 'launchPermission',
      operationType: 'add',
      userIds: [accountB],
    });
    expect(await launchPermissions()).toEqual([accountB]);
    expect(await visibleToB()).toBe(true);
    // A launching service acting for B now gets the image with what a launch needs.
    const { images } = await img.asService.describeImages({ imageIds: [imageId] }, { accountId: accountB });
    expect(images[0]?.blockDeviceMappings[0]?.ebs).toMatchObject({ snapshotId, volumeSize: 1 });

    await img.client.modifyImageAttribute({ imageId, launchPermission: { remove: [{ userId: accountB }] } });
    expect(await visibleToB()).toBe(false);
    expect(
      await errorCode(img.asService.describeImages({ imageIds: [imageId] }, { accountId: accountB })),
    ).toBe('AuthFailure');

    await img.client.modifyImageAttribute({
      imageId,
      launchPermission: { add: [{ group: 'all' }, { userId: '333333333333' }] },
    });
    expect(await launchPermissions()).toEqual(['group:all', '333333333333']);
    expect(await visibleToB()).toBe(true);
    await img.client.resetImageAttribute({ imageId, attribute: 'launchPermission' });
    expect(await launchPermissions()).toEqual([]);
    expect(await visibleToB()).toBe(false);
  });

  it('lets only the owner read or change attributes: AuthFailure for another account, shared or not', async () => {
    expect(
      await refusal(img.otherAccount.describeImageAttribute({ imageId, attribute: 'description' })),
    ).toEqual({
      code: 'AuthFailure',
      message: `Not authorized for image:${imageId}`,
    });
    await img.client.modifyImageAttribute({ imageId, launchPermission: { add: [{ userId: accountB }] } });
    expect(
      await errorCode(
        img.otherAccount.modifyImageAttribute({ imageId, launchPermission: { add: [{ group: 'all' }] } }),
      ),
    ).toBe('AuthFailure');
    expect(
      await errorCode(img.otherAccount.resetImageAttribute({ imageId, attribute: 'launchPermission' })),
    ).toBe('AuthFailure');
    expect(
      await errorCode(
        img.otherAccount.createTags({ resources: [imageId], tags: [{ key: 'k', value: 'v' }] }),
      ),
    ).toBe('AuthFailure');
    expect(await launchPermissions()).toEqual([accountB]);
  });

  it('refuses bad permission items and calls that ask nothing', async () => {
    const add = (p: { userId?: string; group?: string }) =>
      errorCode(img.client.modifyImageAttribute({ imageId, launchPermission: { add: [p] } }));
    expect(await add({ userId: '12345' })).toBe('InvalidAMIAttributeItemValue');
    expect(await add({ group: 'everyone' })).toBe('InvalidAMIAttributeItemValue');
    expect(await errorCode(img.client.modifyImageAttribute({ imageId }))).toBe('InvalidParameterCombination');
    expect(await errorCode(img.client.modifyImageAttribute({ imageId, attribute: 'kernel' }))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(img.client.describeImageAttribute({ imageId, attribute: 'colour' }))).toBe(
      'InvalidParameterValue',
    );
    expect(
      await errorCode(
        img.client.modifyImageAttribute({
          imageId,
          launchPermission: { add: [{ group: 'all' }] },
          dryRun: true,
        }),
      ),
    ).toBe('DryRunOperation');
    expect((await img.client.describeImages({ imageIds: [imageId] })).images[0]?.public).toBe(false);
  });
});

describe('descriptions and tags', () => {
  it('changes the description both ways EC2 allows', async () => {
    await img.client.modifyImageAttribute({ imageId, attribute: 'description', value: 'second' });
    expect((await img.client.describeImageAttribute({ imageId, attribute: 'description' })).description).toBe(
      'second',
    );
    await img.client.modifyImageAttribute({ imageId, description: 'third' });
    expect((await img.client.describeImages({ imageIds: [imageId] })).images[0]?.description).toBe('third');
    const mappings = await img.client.describeImageAttribute({ imageId, attribute: 'blockDeviceMapping' });
    expect(mappings.blockDeviceMappings[0]?.ebs?.snapshotId).toBe(snapshotId);
  });

  it('tags and untags images; an unknown id changes nothing', async () => {
    await img.client.createTags({
      resources: [imageId],
      tags: [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
      ],
    });
    expect(
      await errorCode(
        img.client.createTags({
          resources: [imageId, 'ami-00000000000000000'],
          tags: [{ key: 'c', value: '3' }],
        }),
      ),
    ).toBe('InvalidAMIID.NotFound');
    expect(
      await errorCode(
        img.client.createTags({ resources: ['vol-00000000000000000'], tags: [{ key: 'c', value: '3' }] }),
      ),
    ).toBe('InvalidID');
    await img.client.deleteTags({ resources: [imageId], tags: [{ key: 'a', value: '' }] });
    const image = (await img.client.describeImages({ imageIds: [imageId] })).images[0];
    expect(image?.tags).toEqual([expect.objectContaining({ key: 'b', value: '2' })]);
    expect(image?.ownerId).toBe(accountA);
  });
});
