/**
 * What a worker is told about one instance: built from the instance record
 * once the launch has made everything the instance needs (its volumes are
 * available, its interface has an address). Until then the worker is not
 * told, and once the instance is terminated it is left out of full sets, so a
 * worker that still runs it kills it.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { DesiredInstanceSchema } from '@nimbus/api/gen/nimbus/compute/v1/worker_service_pb';
import { publicDnsName } from '../api/instance-views.js';
import { findInstanceType } from '../domain/instance-types.js';
import { type InstanceRecord, publicAddress } from '../state/instance-records.js';

export type DesiredInstance = MessageInitShape<typeof DesiredInstanceSchema>;

/** Whether the launch has made what the worker needs to run the instance. */
export function launchReady(r: InstanceRecord): boolean {
  return r.privateIpAddress !== '' && r.volumes.every((v) => v.ready);
}

/** Whether the worker `workerName` should have the instance at all. */
export function belongsTo(r: InstanceRecord, workerName: string): boolean {
  return r.workerName === workerName && r.state !== 'terminated' && launchReady(r);
}

export function desiredState(r: InstanceRecord): 'running' | 'stopped' | 'terminated' {
  if (r.failure || r.desired === 'terminated') return 'terminated';
  return r.desired;
}

export function toDesiredInstance(r: InstanceRecord, region: string, stopTimeoutMs: number): DesiredInstance {
  const type = findInstanceType(r.instanceType);
  return {
    instanceId: r.instanceId,
    generation: BigInt(r.generation),
    desiredState: desiredState(r),
    rebootGeneration: BigInt(r.rebootGeneration),
    stopTimeoutMs: r.forceStop ? 0 : stopTimeoutMs,
    bootCommand: r.image.bootCommand,
    userData: Buffer.from(r.userData, 'base64'),
    vcpus: type?.vcpus ?? 0,
    memoryMib: type?.memoryMib ?? 0,
    instanceType: r.instanceType,
    imageId: r.imageId,
    zone: r.availabilityZone,
    region,
    accountId: r.ownerId,
    reservationId: r.reservationId,
    amiLaunchIndex: r.amiLaunchIndex,
    launchTime: timestampFromDate(new Date(r.launchTime)),
    architecture: r.image.architecture,
    privateIp: r.privateIpAddress,
    publicIp: publicAddress(r),
    privateDnsName: r.privateDnsName,
    publicDnsName: publicDnsName(publicAddress(r), region),
    networkInterfaceId: r.networkInterfaceId,
    subnetId: r.subnetId,
    vpcId: r.vpcId,
    macAddress: r.macAddress,
    subnetCidrBlock: r.subnetCidrBlock,
    vpcCidrBlock: r.vpcCidrBlock ?? '',
    securityGroupNames: r.groups.map((g) => g.groupName),
    securityGroupIds: r.groups.map((g) => g.groupId),
    keyName: r.keyName,
    publicKey: r.publicKey,
    volumes: r.volumes.map((v) => ({
      volumeId: v.volumeId,
      deviceName: v.deviceName,
      hostPath: v.hostPath,
      iops: v.iops,
      volumeType: v.volumeType,
      size: v.size,
      isRoot: v.isRoot,
      throughput: v.throughput,
    })),
    metadataOptions: { ...r.metadataOptions },
    tags: Object.fromEntries(r.tags.map((t) => [t.key, t.value])),
    traceparent: r.traceparent ?? '',
  };
}
