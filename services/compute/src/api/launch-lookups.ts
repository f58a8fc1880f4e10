/**
 * What RunInstances learns from the other services before it writes anything,
 * each call acting for the caller's account: the image (which must be
 * available to the account), the subnet (given, or the default one of the
 * zone), the security groups (ids or names, in the subnet's VPC; none: the
 * VPC's default group) and the key pair's public key. Their refusals
 * (InvalidAMIID.NotFound, InvalidSubnetID.NotFound, InvalidGroup.NotFound,
 * InvalidKeyPair.NotFound) reach the caller unchanged.
 */
import type { Image } from '@nimbus/api/gen/nimbus/image/v1/image_pb';
import { isRemoteError } from '@nimbus/runtime';
import { ApiError, isId } from '@nimbus/service-kit';
import { invalidParameterValue } from '../domain/compute-errors.js';
import type { GroupRef, ImageFacts, MappedVolumeSpec } from '../state/instance-records.js';
import type { Peers } from './api-deps.js';

export interface SubnetFacts {
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  mapPublicIpOnLaunch: boolean;
  cidrBlock: string;
  vpcCidrBlock: string;
}

export async function lookUpImage(
  peers: Peers,
  accountId: string,
  imageId: string,
): Promise<{ facts: ImageFacts; root: MappedVolumeSpec; others: MappedVolumeSpec[] }> {
  if (!isId('ami', imageId))
    throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  const notFound = new ApiError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  // The image service answers AuthFailure for an image the account may not launch: to the caller it does not exist.
  const { images } = await peers.image
    .describeImages({ imageIds: [imageId] }, { accountId })
    .catch((error: unknown) => {
      if (isRemoteError(error) && error.code === 'AuthFailure') throw notFound;
      throw error;
    });
  const image: Image | undefined = images.find((i) => i.imageId === imageId);
  if (!image || image.state === 'deregistered') {
    throw notFound;
  }
  if (image.state !== 'available') {
    throw new ApiError(
      'InvalidAMIID.Unavailable',
      `The image '${imageId}' is ${image.state}, not available.`,
    );
  }
  const rootDeviceName = image.rootDeviceName || '/dev/xvda';
  const volumes: MappedVolumeSpec[] = image.blockDeviceMappings
    .filter((m) => m.ebs && !m.noDevice)
    .map((m) => ({
      deviceName: m.deviceName,
      snapshotId: m.ebs?.snapshotId ?? '',
      snapshotOwnerId: image.ownerId,
      size: m.ebs?.volumeSize ?? 0,
      volumeType: m.ebs?.volumeType || 'gp2',
      iops: m.ebs?.iops ?? 0,
      throughput: m.ebs?.throughput ?? 0,
      encrypted: m.ebs?.encrypted ?? false,
      deleteOnTermination: m.ebs?.deleteOnTermination ?? true,
      isRoot: m.deviceName === rootDeviceName,
    }));
  const root = volumes.find((v) => v.isRoot);
  if (!root) throw invalidParameterValue(`The image '${imageId}' has no root volume at ${rootDeviceName}.`);
  return {
    facts: { bootCommand: image.bootCommand, rootDeviceName, architecture: image.architecture || 'x86_64' },
    root,
    others: volumes.filter((v) => !v.isRoot),
  };
}

export async function lookUpSubnet(
  peers: Peers,
  accountId: string,
  subnetId: string,
  zone: string,
): Promise<SubnetFacts> {
  const { subnets } = subnetId
    ? await peers.network.describeSubnets({ subnetIds: [subnetId] }, { accountId })
    : await peers.network.describeSubnets(
        {
          filters: [
            { name: 'default-for-az', values: ['true'] },
            { name: 'availability-zone', values: [zone] },
          ],
        },
        { accountId },
      );
  const subnet = subnets[0];
  if (!subnet) {
    throw subnetId
      ? new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`)
      : new ApiError('MissingInput', `No default subnet for availability zone: '${zone}'.`);
  }
  const { vpcs } = await peers.network.describeVpcs({ vpcIds: [subnet.vpcId] }, { accountId });
  return {
    subnetId: subnet.subnetId,
    vpcId: subnet.vpcId,
    availabilityZone: subnet.availabilityZone,
    mapPublicIpOnLaunch: subnet.mapPublicIpOnLaunch,
    cidrBlock: subnet.cidrBlock,
    vpcCidrBlock: vpcs[0]?.cidrBlock ?? '',
  };
}

export async function lookUpGroups(
  peers: Peers,
  accountId: string,
  vpcId: string,
  groupIds: readonly string[],
  groupNames: readonly string[],
): Promise<GroupRef[]> {
  const refs: GroupRef[] = [];
  if (groupIds.length > 0) {
    const { securityGroups } = await peers.network.describeSecurityGroups(
      { groupIds: [...groupIds] },
      { accountId },
    );
    for (const g of securityGroups) {
      if (g.vpcId !== vpcId) {
        throw invalidParameterValue(`Security group ${g.groupId} and subnet belong to different networks.`);
      }
      refs.push({ groupId: g.groupId, groupName: g.groupName });
    }
  }
  if (groupNames.length > 0 || groupIds.length === 0) {
    const names = groupNames.length > 0 ? [...groupNames] : ['default'];
    const { securityGroups } = await peers.network.describeSecurityGroups(
      {
        filters: [
          { name: 'vpc-id', values: [vpcId] },
          { name: 'group-name', values: names },
        ],
      },
      { accountId },
    );
    for (const name of names) {
      const g = securityGroups.find((s) => s.groupName === name);
      if (!g)
        throw new ApiError(
          'InvalidGroup.NotFound',
          `The security group '${name}' does not exist in VPC '${vpcId}'`,
        );
      if (!refs.some((r) => r.groupId === g.groupId))
        refs.push({ groupId: g.groupId, groupName: g.groupName });
    }
  }
  return refs;
}

export async function lookUpPublicKey(peers: Peers, accountId: string, keyName: string): Promise<string> {
  if (keyName === '') return '';
  const { keyPairs } = await peers.network.describeKeyPairs(
    { keyNames: [keyName], includePublicKey: true },
    { accountId },
  );
  const key = keyPairs.find((k) => k.keyName === keyName);
  if (!key) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
  return key.publicKey;
}
