/**
 * Instances and images through the gateway with the AWS SDK, on compute, image
 * and one worker with the fake runtime: the catalog, an image registered from
 * a snapshot, the instance lifecycle with the SDK's waiters, attributes,
 * console output, tags, and image copies and launch permissions.
 */
import {
  CopyImageCommand,
  CreateImageCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeAvailabilityZonesCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeRegionsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  GetConsoleOutputCommand,
  ModifyImageAttributeCommand,
  ModifyInstanceAttributeCommand,
  RebootInstancesCommand,
  RegisterImageCommand,
  ResetImageAttributeCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilImageAvailable,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  waitUntilSnapshotCompleted,
  waitUntilVolumeAvailable,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { region, useGatewayUnderTest } from '../testing/gateway-under-test.js';
import { sdkError } from '../testing/sdk-error.js';

const gw = useGatewayUnderTest({ compute: true });
const wait = { maxWaitTime: 60, minDelay: 1, maxDelay: 1 };

/** An available image of account A, registered from a snapshot of a fresh 1 GiB volume. */
async function registerImage(name: string): Promise<string> {
  const ec2 = gw.ec2();
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1a', Size: 1 }));
  await waitUntilVolumeAvailable({ client: ec2, ...wait }, { VolumeIds: [VolumeId ?? ''] });
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId }));
  await waitUntilSnapshotCompleted({ client: ec2, ...wait }, { SnapshotIds: [SnapshotId ?? ''] });
  const { ImageId } = await ec2.send(
    new RegisterImageCommand({
      Name: name,
      Description: 'test image',
      Architecture: 'x86_64',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId, VolumeType: 'gp3' } }],
    }),
  );
  await waitUntilImageAvailable({ client: ec2, ...wait }, { ImageIds: [ImageId ?? ''] });
  return ImageId ?? '';
}

describe('the catalog', () => {
  it('lists instance types, offerings, zones and the region', async () => {
    const ec2 = gw.ec2();
    const types = await ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['t3.micro'] }));
    expect(types.InstanceTypes?.[0]).toMatchObject({
      InstanceType: 't3.micro',
      VCpuInfo: expect.objectContaining({ DefaultVCpus: 2 }),
      MemoryInfo: { SizeInMiB: 1024 },
    });
    const offerings = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone',
        Filters: [{ Name: 'instance-type', Values: ['t3.micro'] }],
      }),
    );
    expect(offerings.InstanceTypeOfferings?.map((o) => o.Location).sort()).toEqual([
      'nimbus-1a',
      'nimbus-1b',
    ]);
    const zones = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    expect(zones.AvailabilityZones?.map((z) => z.ZoneName).sort()).toEqual(['nimbus-1a', 'nimbus-1b']);
    expect(zones.AvailabilityZones?.[0]?.State).toBe('available');
    const regions = await ec2.send(new DescribeRegionsCommand({}));
    expect(regions.Regions?.map((r) => r.RegionName)).toEqual([region]);
  });
});

describe('instances', () => {
  it('runs, describes, stops, starts, reboots and terminates instances, with the waiters', async () => {
    const ec2 = gw.ec2();
    const imageId = await registerImage('lifecycle-image');
    const run = await ec2.send(
      new RunInstancesCommand({
        ImageId: imageId,
        InstanceType: 't3.micro',
        MinCount: 2,
        MaxCount: 2,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'role', Value: 'web' }] }],
      }),
    );
    expect(run.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    const ids = (run.Instances ?? []).map((i) => i.InstanceId ?? '');
    expect(ids).toHaveLength(2);
    expect(run.Instances?.[0]?.State).toEqual({ Code: 0, Name: 'pending' });
    await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: ids });

    const running = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'instance-state-name', Values: ['running'] },
          { Name: 'tag:role', Values: ['web'] },
        ],
      }),
    );
    const described = running.Reservations?.flatMap((r) => r.Instances ?? []) ?? [];
    expect(described.map((i) => i.InstanceId).sort()).toEqual([...ids].sort());
    expect(described[0]).toMatchObject({
      ImageId: imageId,
      InstanceType: 't3.micro',
      Placement: expect.objectContaining({ AvailabilityZone: 'nimbus-1a' }),
      State: { Code: 16, Name: 'running' },
    });
    expect(described[0]?.PrivateIpAddress).toMatch(/^127\./);
    expect(described[0]?.LaunchTime).toBeInstanceOf(Date);

    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: ids }));
    expect(status.InstanceStatuses?.map((s) => s.InstanceState?.Name)).toEqual(['running', 'running']);
    const console = await ec2.send(new GetConsoleOutputCommand({ InstanceId: ids[0] }));
    expect(console.InstanceId).toBe(ids[0]);

    const tags = await ec2.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [ids[0] ?? ''] }] }),
    );
    expect(tags.Tags).toEqual([
      expect.objectContaining({ Key: 'role', Value: 'web', ResourceType: 'instance' }),
    ]);

    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: ids[0], DisableApiTermination: { Value: true } }),
    );
    const protectedAttribute = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: ids[0], Attribute: 'disableApiTermination' }),
    );
    expect(protectedAttribute.DisableApiTermination?.Value).toBe(true);
    const refused = await sdkError(ec2.send(new TerminateInstancesCommand({ InstanceIds: [ids[0] ?? ''] })));
    expect(refused.name).toBe('OperationNotPermitted');
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: ids[0], DisableApiTermination: { Value: false } }),
    );

    const stopping = await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    expect(stopping.StoppingInstances?.[0]).toMatchObject({
      InstanceId: ids[0],
      PreviousState: { Code: 16, Name: 'running' },
    });
    await waitUntilInstanceStopped({ client: ec2, ...wait }, { InstanceIds: [ids[0] ?? ''] });
    await ec2.send(
      new ModifyInstanceAttributeCommand({ InstanceId: ids[0], InstanceType: { Value: 't3.small' } }),
    );
    const type = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: ids[0], Attribute: 'instanceType' }),
    );
    expect(type.InstanceType?.Value).toBe('t3.small');
    const starting = await ec2.send(new StartInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));
    expect(starting.StartingInstances?.[0]?.CurrentState?.Name).toBe('pending');
    await waitUntilInstanceRunning({ client: ec2, ...wait }, { InstanceIds: [ids[0] ?? ''] });
    await ec2.send(new RebootInstancesCommand({ InstanceIds: [ids[0] ?? ''] }));

    const terminating = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
    expect(terminating.TerminatingInstances?.map((t) => t.CurrentState?.Name)).toEqual([
      'shutting-down',
      'shutting-down',
    ]);
    await waitUntilInstanceTerminated({ client: ec2, ...wait }, { InstanceIds: ids });

    const unknown = await sdkError(
      ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    );
    expect(unknown.name).toBe('InvalidInstanceID.NotFound');
  });
});

describe('launch refusals as the SDK sees them', () => {
  it('an unknown image, a dry run, bad counts and user data', async () => {
    const ec2 = gw.ec2();
    const unknown = await sdkError(
      ec2.send(new RunInstancesCommand({ ImageId: 'ami-0123456789abcdef0', MinCount: 1, MaxCount: 1 })),
    );
    expect(unknown.name).toBe('InvalidAMIID.NotFound');
    expect(unknown.$metadata.httpStatusCode).toBe(400);
    const imageId = await registerImage('refusals-image');
    const dryRun = await sdkError(
      ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, DryRun: true })),
    );
    expect(dryRun.name).toBe('DryRunOperation');
    expect(dryRun.$metadata.httpStatusCode).toBe(412);
    const tooMany = await sdkError(
      ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 500, MaxCount: 500 })),
    );
    expect(tooMany.name).toBe('InsufficientInstanceCapacity');
    // The instance bucket (1,000, refilled at 2 a second) has about 500 left after the calls above.
    const throttled = await sdkError(
      ec2.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 900 })),
    );
    expect(throttled.name).toBe('RequestLimitExceeded');
    expect(throttled.$metadata.httpStatusCode).toBe(503);
    const badUserData = await sdkError(
      ec2.send(
        new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, UserData: '%%%not base64' }),
      ),
    );
    expect(badUserData.name).toBe('InvalidUserData.Malformed');
    const missing = await sdkError(ec2.send(new RunInstancesCommand({ ImageId: imageId } as never)));
    expect(missing.name).toBe('MissingParameter');
    expect(missing.message).toContain('MinCount');
  });
});

describe('images', () => {
  it('describes, copies, shares, resets and deregisters images', async () => {
    const ec2 = gw.ec2();
    const imageId = await registerImage('shared-image');
    const mine = await ec2.send(
      new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['shared-*'] }] }),
    );
    expect(mine.Images?.map((i) => i.ImageId)).toEqual([imageId]);
    expect(mine.Images?.[0]).toMatchObject({
      State: 'available',
      OwnerId: gw.keyA.accountId,
      RootDeviceName: '/dev/xvda',
      Public: false,
      BlockDeviceMappings: [expect.objectContaining({ DeviceName: '/dev/xvda' })],
    });

    const description = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' }),
    );
    expect(description.Description?.Value).toBe('test image');
    await ec2.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: gw.keyB.accountId }] },
      }),
    );
    const permissions = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(permissions.LaunchPermissions).toEqual([{ UserId: gw.keyB.accountId }]);
    const seenByB = await gw.ec2(gw.keyB).send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }));
    expect(seenByB.Images?.map((i) => i.ImageId)).toContain(imageId);
    await ec2.send(new ResetImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }));
    const afterReset = await gw.ec2(gw.keyB).send(new DescribeImagesCommand({ ExecutableUsers: ['self'] }));
    expect((afterReset.Images ?? []).map((i) => i.ImageId)).not.toContain(imageId);

    const copy = await ec2.send(
      new CopyImageCommand({ Name: 'shared-copy', SourceImageId: imageId, SourceRegion: region }),
    );
    expect(copy.ImageId).toMatch(/^ami-[0-9a-f]{17}$/);
    await waitUntilImageAvailable({ client: ec2, ...wait }, { ImageIds: [copy.ImageId ?? ''] });

    // One CreateTags for resources of three services: instance tags by compute, the rest by their owners.
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1b', Size: 1 }));
    await ec2.send(
      new CreateTagsCommand({
        Resources: [imageId, VolumeId ?? ''],
        Tags: [{ Key: 'project', Value: 'gateway' }],
      }),
    );
    const tagged = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    expect(tagged.Images?.[0]?.Tags).toEqual([{ Key: 'project', Value: 'gateway' }]);
    const taggedVolume = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [VolumeId ?? ''] }));
    expect(taggedVolume.Volumes?.[0]?.Tags).toEqual([{ Key: 'project', Value: 'gateway' }]);
    await ec2.send(
      new DeleteTagsCommand({ Resources: [imageId, VolumeId ?? ''], Tags: [{ Key: 'project' }] }),
    );
    const untagged = await ec2.send(new DescribeVolumesCommand({ VolumeIds: [VolumeId ?? ''] }));
    expect(untagged.Volumes?.[0]?.Tags ?? []).toEqual([]);
    const vpcTag = await sdkError(
      ec2.send(
        new CreateTagsCommand({ Resources: ['vpc-0123456789abcdef0'], Tags: [{ Key: 'a', Value: 'b' }] }),
      ),
    );
    expect(vpcTag.name).toBe('InvalidID');

    const unsupported = await sdkError(
      ec2.send(new CreateImageCommand({ InstanceId: 'i-0123456789abcdef0', Name: 'x-image' })),
    );
    expect(unsupported.$metadata.httpStatusCode).toBe(400);

    await ec2.send(new DeregisterImageCommand({ ImageId: copy.ImageId }));
    const gone = await ec2.send(new DescribeImagesCommand({ ImageIds: [copy.ImageId ?? ''] }));
    expect(gone.Images?.[0]?.State ?? 'deregistered').toBe('deregistered');
  });
});
