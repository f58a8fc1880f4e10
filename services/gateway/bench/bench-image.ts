/** An available image of the client's account, registered from a snapshot of a new 1 GiB volume. */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  type EC2Client,
  RegisterImageCommand,
  waitUntilImageAvailable,
  waitUntilSnapshotCompleted,
  waitUntilVolumeAvailable,
} from '@aws-sdk/client-ec2';

export async function registerBenchImage(ec2: EC2Client): Promise<string> {
  const wait = { client: ec2, maxWaitTime: 60, minDelay: 1, maxDelay: 1 };
  const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1a', Size: 1 }));
  await waitUntilVolumeAvailable(wait, { VolumeIds: [VolumeId ?? ''] });
  const { SnapshotId } = await ec2.send(new CreateSnapshotCommand({ VolumeId }));
  await waitUntilSnapshotCompleted(wait, { SnapshotIds: [SnapshotId ?? ''] });
  const { ImageId } = await ec2.send(
    new RegisterImageCommand({
      Name: 'bench-image',
      RootDeviceName: '/dev/xvda',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { SnapshotId } }],
    }),
  );
  await waitUntilImageAvailable(wait, { ImageIds: [ImageId ?? ''] });
  return ImageId ?? '';
}
