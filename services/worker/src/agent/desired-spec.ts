/** Compute's DesiredInstance in the runtime's terms (an InstanceSpec). */
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { DesiredInstance } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import type { InstanceSpec, MetadataOptions } from '../runtime/instance-spec.js';

function metadataOptionsOf(desired: DesiredInstance): MetadataOptions {
  const options = desired.metadataOptions;
  return {
    httpTokens: options?.httpTokens === 'required' ? 'required' : 'optional',
    httpEndpoint: options?.httpEndpoint === 'disabled' ? 'disabled' : 'enabled',
    instanceMetadataTags: options?.instanceMetadataTags === 'enabled' ? 'enabled' : 'disabled',
  };
}

/** Throws when the desired instance lacks what every instance needs (no root volume). */
export function specOf(desired: DesiredInstance, region: string): InstanceSpec {
  const root = desired.volumes.find((v) => v.isRoot);
  if (!root) throw new Error(`instance ${desired.instanceId} has no root volume`);
  const optional = <K extends string, V>(key: K, value: V | '' | undefined) =>
    (value === '' || value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    instanceId: desired.instanceId,
    accountId: desired.accountId,
    region: desired.region || region,
    availabilityZone: desired.zone,
    imageId: desired.imageId,
    instanceType: desired.instanceType,
    vcpus: desired.vcpus,
    memoryMiB: desired.memoryMib,
    privateIp: desired.privateIp,
    ...optional('publicIp', desired.publicIp),
    bootCommand: desired.bootCommand,
    userData: desired.userData,
    ...optional('keyName', desired.keyName),
    ...optional('openSshKey', desired.publicKey),
    securityGroups: desired.securityGroupNames,
    rootVolume: {
      volumeId: root.volumeId,
      ...optional('hostPath', root.hostPath),
      ...(root.volumeType
        ? {
            performance: {
              volumeType: root.volumeType,
              size: root.size,
              iops: root.iops,
              throughput: root.throughput,
            },
          }
        : {}),
    },
    blockDevices: desired.volumes.map((v) => ({ deviceName: v.deviceName, volumeId: v.volumeId })),
    metadataOptions: metadataOptionsOf(desired),
    launchTime: desired.launchTime ? timestampDate(desired.launchTime) : new Date(),
    ...optional('reservationId', desired.reservationId),
    amiLaunchIndex: desired.amiLaunchIndex,
    ...optional('architecture', desired.architecture),
    network: {
      ...optional('privateDnsName', desired.privateDnsName),
      ...optional('publicDnsName', desired.publicDnsName),
      ...optional('macAddress', desired.macAddress),
      ...optional('networkInterfaceId', desired.networkInterfaceId),
      ...optional('subnetId', desired.subnetId),
      ...optional('vpcId', desired.vpcId),
      ...optional('subnetCidrBlock', desired.subnetCidrBlock),
      ...optional('vpcCidrBlock', desired.vpcCidrBlock),
      securityGroupIds: desired.securityGroupIds,
    },
    tags: { ...desired.tags },
  };
}
