/** The volume and snapshot actions of EC2 driven by the AWS SDK through the gateway. */
import {
  AttachVolumeCommand,
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DescribeVolumeStatusCommand,
  DescribeVolumesCommand,
  DescribeVolumesModificationsCommand,
  DetachVolumeCommand,
  ModifyVolumeCommand,
  paginateDescribeVolumes,
  waitUntilSnapshotCompleted,
  waitUntilVolumeAvailable,
} from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { region, useGatewayUnderTest } from '../testing/gateway-under-test.js';
import { sdkError } from '../testing/sdk-error.js';

const gw = useGatewayUnderTest();

describe('volumes', () => {
  it('creates, waits for, pages through, filters, modifies and deletes volumes', async () => {
    const ec2 = gw.ec2();
    const created = await ec2.send(
      new CreateVolumeCommand({
        AvailabilityZone: 'nimbus-1a',
        Size: 1,
        VolumeType: 'gp3',
        TagSpecifications: [{ ResourceType: 'volume', Tags: [{ Key: 'team', Value: 'data' }] }],
      }),
    );
    expect(created.VolumeId).toMatch(/^vol-[0-9a-f]{17}$/);
    expect(created).toMatchObject({
      Size: 1,
      VolumeType: 'gp3',
      AvailabilityZone: 'nimbus-1a',
      Encrypted: false,
    });
    expect(created.CreateTime).toBeInstanceOf(Date);
    const volumeId = created.VolumeId ?? '';
    await waitUntilVolumeAvailable({ client: ec2, maxWaitTime: 20, minDelay: 1 }, { VolumeIds: [volumeId] });
    for (const size of [2, 3]) {
      await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1b', Size: size }));
    }
    const pages: number[] = [];
    const ids: string[] = [];
    for await (const page of paginateDescribeVolumes({ client: ec2, pageSize: 5 }, { MaxResults: 5 })) {
      pages.push(page.Volumes?.length ?? 0);
      ids.push(...(page.Volumes ?? []).map((v) => v.VolumeId ?? ''));
    }
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    const tagged = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'tag:team', Values: ['data'] }] }),
    );
    expect(tagged.Volumes?.map((v) => v.VolumeId)).toEqual([volumeId]);
    expect(tagged.Volumes?.[0]).toMatchObject({ State: 'available', Tags: [{ Key: 'team', Value: 'data' }] });
    const inZone = await ec2.send(
      new DescribeVolumesCommand({ Filters: [{ Name: 'availability-zone', Values: ['nimbus-1b'] }] }),
    );
    expect(inZone.Volumes?.map((v) => v.Size).sort()).toEqual([2, 3]);

    const { VolumeModification } = await ec2.send(new ModifyVolumeCommand({ VolumeId: volumeId, Size: 4 }));
    expect(VolumeModification).toMatchObject({ VolumeId: volumeId, TargetSize: 4, OriginalSize: 1 });
    const modifications = await ec2.send(new DescribeVolumesModificationsCommand({ VolumeIds: [volumeId] }));
    expect(modifications.VolumesModifications?.[0]?.TargetSize).toBe(4);
    const status = await ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [volumeId] }));
    expect(status.VolumeStatuses?.[0]?.VolumeStatus?.Status).toBe('ok');

    await ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    const gone = await sdkError(ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
    expect(gone.name).toBe('InvalidVolume.NotFound');
  });

  it('answers attach and detach as block storage decides', async () => {
    const ec2 = gw.ec2();
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1a', Size: 1 }));
    await waitUntilVolumeAvailable(
      { client: ec2, maxWaitTime: 20, minDelay: 1 },
      { VolumeIds: [VolumeId ?? ''] },
    );
    const badDevice = await sdkError(
      ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: 'i-0123456789abcdef0', Device: '/dev/nope' })),
    );
    expect(badDevice.$metadata.httpStatusCode).toBe(400);
    const notAttached = await sdkError(ec2.send(new DetachVolumeCommand({ VolumeId })));
    expect(notAttached.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses bad sizes with the EC2 message', async () => {
    const error = await sdkError(
      gw
        .ec2()
        .send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1a', Size: 2000, VolumeType: 'standard' })),
    );
    expect(error.name).toBe('InvalidParameterValue');
    expect(error.message).toContain('maximum is 1024GiB');
  });
});

describe('snapshots', () => {
  it('snapshots a volume, copies, describes by owner and deletes', async () => {
    const ec2 = gw.ec2();
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1a', Size: 1 }));
    await waitUntilVolumeAvailable(
      { client: ec2, maxWaitTime: 20, minDelay: 1 },
      { VolumeIds: [VolumeId ?? ''] },
    );
    const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId, Description: 'first' }));
    expect(snapshot.SnapshotId).toMatch(/^snap-[0-9a-f]{17}$/);
    expect(snapshot).toMatchObject({ VolumeId, Description: 'first', OwnerId: gw.keyA.accountId });
    await waitUntilSnapshotCompleted(
      { client: ec2, maxWaitTime: 30, minDelay: 1 },
      { SnapshotIds: [snapshot.SnapshotId ?? ''] },
    );
    const copy = await ec2.send(
      new CopySnapshotCommand({
        SourceSnapshotId: snapshot.SnapshotId,
        SourceRegion: region,
        Description: 'copy',
      }),
    );
    expect(copy.SnapshotId).toMatch(/^snap-/);
    const mine = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(mine.Snapshots?.map((s) => s.SnapshotId).sort()).toEqual(
      [snapshot.SnapshotId, copy.SnapshotId].sort(),
    );
    const theirs = await gw.ec2(gw.keyB).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    // An empty answer is an empty list, as EC2's `<snapshotSet/>` gives.
    expect(theirs.Snapshots).toEqual([]);
    await waitUntilSnapshotCompleted(
      { client: ec2, maxWaitTime: 30, minDelay: 1 },
      { SnapshotIds: [copy.SnapshotId ?? ''] },
    );
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: copy.SnapshotId }));
    const gone = await sdkError(
      ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [copy.SnapshotId ?? ''] })),
    );
    expect(gone.name).toBe('InvalidSnapshot.NotFound');
  });
});
