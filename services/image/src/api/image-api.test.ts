import type { Image } from '@nimbus/api/gen/nimbus/image/v1/image_pb';
import { errorCode, refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountA, accountB, useImageUnderTest } from '../testing/image-under-test.js';

const img = useImageUnderTest();
let snapshotId = '';

beforeAll(async () => {
  snapshotId = await img.completedSnapshot(2);
});

const rootOn = (snapshot: string, extra: Record<string, unknown> = {}) => ({
  blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { snapshotId: snapshot, ...extra } }],
});

async function describeOne(imageId: string, client = img.client): Promise<Image | undefined> {
  return (await client.describeImages({ imageIds: [imageId] })).images[0];
}

describe('RegisterImage', () => {
  it('registers an available image with the root snapshot, its size and the boot command', async () => {
    const { imageId } = await img.client.registerImage({
      name: 'web server (v1)',
      description: 'a test image',
      bootCommand: 'exec node ./server.mjs',
      ...rootOn(snapshotId),
      tagSpecifications: [{ resourceType: 'image', tags: [{ key: 'team', value: 'blue' }] }],
    });
    expect(imageId).toMatch(/^ami-[0-9a-f]{17}$/);
    const image = await describeOne(imageId);
    expect(image).toMatchObject({
      imageId,
      name: 'web server (v1)',
      state: 'available',
      ownerId: accountA,
      imageOwnerAlias: '',
      public: false,
      architecture: 'x86_64',
      rootDeviceName: '/dev/xvda',
      rootDeviceType: 'ebs',
      bootCommand: 'exec node ./server.mjs',
      imageLocation: `${accountA}/web server (v1)`,
      tags: [{ key: 'team', value: 'blue' }],
    });
    expect(image?.blockDeviceMappings[0]?.ebs).toMatchObject({
      snapshotId,
      volumeSize: 2,
      volumeType: 'gp2',
      deleteOnTermination: true,
    });
  });

  it('keeps the snapshot behind an image from being deleted until the image is deregistered', async () => {
    const snapshot = await img.completedSnapshot(1);
    const { imageId } = await img.client.registerImage({ name: 'holds its snapshot', ...rootOn(snapshot) });
    expect(await refusal(img.storage.deleteSnapshot({ snapshotId: snapshot }))).toEqual({
      code: 'InvalidSnapshot.InUse',
      message: `The snapshot ${snapshot} is currently in use by ${imageId}`,
    });
    await img.client.deregisterImage({ imageId });
    await img.storage.deleteSnapshot({ snapshotId: snapshot });
    expect(await errorCode(img.storage.deleteSnapshot({ snapshotId: snapshot }))).toBe(
      'InvalidSnapshot.NotFound',
    );
  });

  it('refuses names EC2 refuses, and a name the account already uses', async () => {
    for (const name of ['ab', 'x'.repeat(129), 'no*stars', 'naïve']) {
      expect(await errorCode(img.client.registerImage({ name, ...rootOn(snapshotId) }))).toBe(
        'InvalidAMIName.Malformed',
      );
    }
    expect(await errorCode(img.client.registerImage({ name: '', ...rootOn(snapshotId) }))).toBe(
      'MissingParameter',
    );
    const { imageId } = await img.client.registerImage({ name: 'taken', ...rootOn(snapshotId) });
    const duplicate = await refusal(img.client.registerImage({ name: 'taken', ...rootOn(snapshotId) }));
    expect(duplicate).toEqual({
      code: 'InvalidAMIName.Duplicate',
      message: `AMI name taken is already in use by AMI ${imageId}`,
    });
    // Names are per account.
    const mine = await img.completedSnapshot();
    expect(await errorCode(img.otherAccount.registerImage({ name: 'taken', ...rootOn(mine) }))).toBe(
      'InvalidSnapshot.NotFound',
    );
  });

  it('lets exactly one of two concurrent registrations of a name win', async () => {
    const calls = [1, 2, 3].map(() => img.client.registerImage({ name: 'raced', ...rootOn(snapshotId) }));
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const { images } = await img.client.describeImages({ filters: [{ name: 'name', values: ['raced'] }] });
    expect(images).toHaveLength(1);
  });

  it("checks the snapshots with block storage: unknown, another account's, smaller than the snapshot", async () => {
    expect(
      await errorCode(img.client.registerImage({ name: 'bad-1', ...rootOn('snap-0123456789abcdef0') })),
    ).toBe('InvalidSnapshot.NotFound');
    expect(await errorCode(img.client.registerImage({ name: 'bad-2', ...rootOn('snap-nope') }))).toBe(
      'InvalidSnapshotID.Malformed',
    );
    expect(await errorCode(img.otherAccount.registerImage({ name: 'bad-3', ...rootOn(snapshotId) }))).toBe(
      'InvalidSnapshot.NotFound',
    );
    expect(
      await errorCode(img.client.registerImage({ name: 'bad-4', ...rootOn(snapshotId, { volumeSize: 1 }) })),
    ).toBe('InvalidBlockDeviceMapping');
    expect(
      await errorCode(
        img.client.registerImage({
          name: 'bad-5',
          blockDeviceMappings: [{ deviceName: '/dev/sdf', ebs: { snapshotId } }],
        }),
      ),
    ).toBe('InvalidBlockDeviceMapping');
    expect(
      await errorCode(img.client.registerImage({ name: 'dry', dryRun: true, ...rootOn(snapshotId) })),
    ).toBe('DryRunOperation');
    const { images } = await img.client.describeImages({
      owners: ['self'],
      filters: [{ name: 'name', values: ['bad-*', 'dry'] }],
    });
    expect(images).toEqual([]);
  });

  it('publishes the state change', async () => {
    const seen: string[] = [];
    const subscription = await img.bus.subscribe({
      durable: 'image-register-test',
      subjects: ['nimbus.image.image.state-changed'],
      handler: async ({ event }) => {
        seen.push(`${event.resourceId} ${JSON.parse(event.detailJson).state}`);
      },
    });
    try {
      const { imageId } = await img.client.registerImage({ name: 'evented', ...rootOn(snapshotId) });
      await img.client.deregisterImage({ imageId });
      await waitUntil(() => seen.includes(`${imageId} deregistered`), { message: 'deregistered event' });
      expect(seen).toContain(`${imageId} available`);
    } finally {
      await subscription.close();
    }
  });
});

describe('DescribeImages', () => {
  let privateImage = '';
  let sharedImage = '';
  let publicImage = '';

  beforeAll(async () => {
    privateImage = (await img.client.registerImage({ name: 'desc-private', ...rootOn(snapshotId) })).imageId;
    sharedImage = (await img.client.registerImage({ name: 'desc-shared', ...rootOn(snapshotId) })).imageId;
    publicImage = (await img.client.registerImage({ name: 'desc-public', ...rootOn(snapshotId) })).imageId;
    await img.client.modifyImageAttribute({
      imageId: sharedImage,
      launchPermission: { add: [{ userId: accountB }] },
    });
    await img.client.modifyImageAttribute({
      imageId: publicImage,
      launchPermission: { add: [{ group: 'all' }] },
    });
  });

  it('shows another account only what it may launch, without the owner’s tags', async () => {
    const { images } = await img.otherAccount.describeImages({
      filters: [{ name: 'name', values: ['desc-*'] }],
    });
    expect(images.map((i) => i.imageId).sort()).toEqual([sharedImage, publicImage].sort());
    expect(await errorCode(img.otherAccount.describeImages({ imageIds: [privateImage] }))).toBe(
      'InvalidAMIID.NotFound',
    );
    expect((await describeOne(publicImage, img.otherAccount))?.public).toBe(true);
  });

  it('tells a launching service that the caller may not launch an image (AuthFailure), and what it may', async () => {
    const refused = await refusal(
      img.asService.describeImages({ imageIds: [privateImage] }, { accountId: accountB }),
    );
    expect(refused).toEqual({ code: 'AuthFailure', message: `Not authorized for images: [${privateImage}]` });
    const { images } = await img.asService.describeImages(
      { imageIds: [sharedImage] },
      { accountId: accountB },
    );
    expect(images[0]?.blockDeviceMappings[0]?.ebs?.snapshotId).toBe(snapshotId);
  });

  it('selects by Owners and ExecutableUsers', async () => {
    const names = async (request: { owners?: string[]; executableUsers?: string[] }, client = img.client) =>
      (await client.describeImages({ ...request, filters: [{ name: 'name', values: ['desc-*'] }] })).images
        .map((i) => i.name)
        .sort();
    expect(await names({ owners: ['self'] })).toEqual(['desc-private', 'desc-public', 'desc-shared']);
    expect(await names({ owners: ['self'] }, img.otherAccount)).toEqual([]);
    expect(await names({ owners: [accountA] }, img.otherAccount)).toEqual(['desc-public', 'desc-shared']);
    expect(await names({ owners: ['nimbus'] })).toEqual([]);
    expect(await names({ executableUsers: ['self'] }, img.otherAccount)).toEqual(['desc-shared']);
    expect(await names({ executableUsers: ['all'] }, img.otherAccount)).toEqual(['desc-public']);
    expect(await names({ executableUsers: [accountB] })).toEqual(['desc-shared']);
    expect(await errorCode(img.client.describeImages({ owners: ['someone'] }))).toBe('InvalidParameterValue');
  });

  it('filters by id, name wildcards, state, is-public and tags', async () => {
    await img.client.createTags({ resources: [privateImage], tags: [{ key: 'stage', value: 'prod' }] });
    const ids = async (filters: { name: string; values: string[] }[]) =>
      (await img.client.describeImages({ owners: ['self'], filters })).images.map((i) => i.imageId).sort();
    expect(await ids([{ name: 'name', values: ['desc-p?i*'] }])).toEqual([privateImage]);
    expect(await ids([{ name: 'image-id', values: [sharedImage] }])).toEqual([sharedImage]);
    expect(await ids([{ name: 'is-public', values: ['true'] }])).toEqual([publicImage]);
    expect(await ids([{ name: 'tag:stage', values: ['prod'] }])).toEqual([privateImage]);
    expect(
      await ids([
        { name: 'state', values: ['available'] },
        { name: 'name', values: ['desc-*'] },
      ]),
    ).toHaveLength(3);
    expect(
      await ids([
        { name: 'block-device-mapping.snapshot-id', values: [snapshotId] },
        { name: 'name', values: ['desc-*'] },
      ]),
    ).toHaveLength(3);
    expect(
      await errorCode(img.client.describeImages({ filters: [{ name: 'colour', values: ['red'] }] })),
    ).toBe('InvalidParameterValue');
  });

  it('pages through the images in a stable order', async () => {
    for (const n of [1, 2, 3]) await img.client.registerImage({ name: `page-${n}`, ...rootOn(snapshotId) });
    const seen: string[] = [];
    let nextToken = '';
    do {
      const page = await img.client.describeImages({ owners: ['self'], maxResults: 5, nextToken });
      expect(page.images.length).toBeLessThanOrEqual(5);
      seen.push(...page.images.map((i) => i.imageId));
      nextToken = page.nextToken;
    } while (nextToken);
    const all = (await img.client.describeImages({ owners: ['self'] })).images.map((i) => i.imageId);
    expect(all.length).toBeGreaterThan(5);
    expect(seen).toEqual(all);
    expect(await errorCode(img.client.describeImages({ imageIds: [privateImage], maxResults: 5 }))).toBe(
      'InvalidParameterCombination',
    );
    expect(await errorCode(img.client.describeImages({ maxResults: 2 }))).toBe('InvalidParameterValue');
    expect(await errorCode(img.client.describeImages({ nextToken: 'garbage!' }))).toBe(
      'InvalidPaginationToken',
    );
  });

  it('answers malformed and unknown ids with their codes, naming each', async () => {
    expect(await errorCode(img.client.describeImages({ imageIds: ['ami-xyz'] }))).toBe(
      'InvalidAMIID.Malformed',
    );
    const missing = await refusal(
      img.client.describeImages({ imageIds: ['ami-00000000000000000', 'ami-00000000000000001'] }),
    );
    expect(missing).toEqual({
      code: 'InvalidAMIID.NotFound',
      message: "The image ids '[ami-00000000000000000, ami-00000000000000001]' do not exist",
    });
  });
});

describe('DeregisterImage', () => {
  it('deregisters: the name is free again, the image shows as deregistered only by id', async () => {
    const { imageId } = await img.client.registerImage({ name: 'short-lived', ...rootOn(snapshotId) });
    expect(await errorCode(img.otherAccount.deregisterImage({ imageId }))).toBe('AuthFailure');
    expect(await img.client.deregisterImage({ imageId })).toMatchObject({
      return: true,
      deleteSnapshotResults: [],
    });
    expect((await describeOne(imageId))?.state).toBe('deregistered');
    const { images } = await img.client.describeImages({
      owners: ['self'],
      filters: [{ name: 'name', values: ['short-lived'] }],
    });
    expect(images).toEqual([]);
    expect(await errorCode(img.client.deregisterImage({ imageId }))).toBe('InvalidAMIID.Unavailable');
    expect(await errorCode(img.client.describeImageAttribute({ imageId, attribute: 'description' }))).toBe(
      'InvalidAMIID.Unavailable',
    );
    const again = await img.client.registerImage({ name: 'short-lived', ...rootOn(snapshotId) });
    expect(again.imageId).not.toBe(imageId);
    // The snapshot was not asked to go: it stays.
    expect((await img.storage.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots).toHaveLength(1);
  });

  it('deletes the associated snapshots when asked, skipping one another image still uses', async () => {
    const own = await img.completedSnapshot();
    const { imageId } = await img.client.registerImage({ name: 'with-snapshots', ...rootOn(own) });
    const { imageId: sharing } = await img.client.registerImage({
      name: 'sharing-root',
      ...rootOn(snapshotId),
    });
    const { imageId: user } = await img.client.registerImage({ name: 'also-root', ...rootOn(snapshotId) });
    const answer = await img.client.deregisterImage({ imageId, deleteAssociatedSnapshots: true });
    expect(answer.deleteSnapshotResults).toMatchObject([{ snapshotId: own, returnCode: 'success' }]);
    expect(await errorCode(img.storage.describeSnapshots({ snapshotIds: [own] }))).toBe(
      'InvalidSnapshot.NotFound',
    );
    const kept = await img.client.deregisterImage({ imageId: sharing, deleteAssociatedSnapshots: true });
    expect(kept.deleteSnapshotResults).toMatchObject([{ snapshotId, returnCode: 'skipped' }]);
    expect((await img.storage.describeSnapshots({ snapshotIds: [snapshotId] })).snapshots).toHaveLength(1);
    expect((await describeOne(user))?.state).toBe('available');
  });
});
