/**
 * The checks of RunInstances that need nothing but the request: counts, type,
 * user data, shutdown behaviour, metadata options, the primary interface and
 * the block device mappings (merged with the image's by `volumesFor`).
 */
import type { BlockDeviceMapping, RunInstancesRequest } from '@nimbus/api/gen/nimbus/compute/v1/instance_pb';
import { ApiError, checkClientToken, type StoredTag, tagsFor } from '@nimbus/service-kit';
import {
  invalidParameterCombination,
  invalidParameterValue,
  missingParameter,
} from '../domain/compute-errors.js';
import { defaultInstanceType, findInstanceType, type InstanceTypeSpec } from '../domain/instance-types.js';
import { decodeUserData } from '../domain/user-data.js';
import type { MappedVolumeSpec, MetadataOptionsRecord } from '../state/instance-records.js';

export interface LaunchRequest {
  imageId: string;
  type: InstanceTypeSpec;
  minCount: number;
  maxCount: number;
  subnetId: string;
  groupIds: string[];
  groupNames: string[];
  privateIp: string;
  associatePublicIp: boolean | undefined;
  interfaceDeleteOnTermination: boolean;
  zone: string;
  shutdownBehavior: 'stop' | 'terminate';
  metadataOptions: MetadataOptionsRecord;
  instanceTags: StoredTag[];
  volumeTags: StoredTag[];
}

function oneOf<T extends string>(value: string, allowed: readonly T[], fallback: T, parameter: string): T {
  if (value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidParameterValue(
      `Value (${value}) for parameter ${parameter} is invalid. Expected one of ${allowed.join(', ')}.`,
    );
  }
  return value as T;
}

export function checkLaunchRequest(request: RunInstancesRequest): LaunchRequest {
  if (request.imageId === '') throw missingParameter('ImageId');
  if (request.minCount === 0) throw missingParameter('MinCount');
  if (request.maxCount === 0) throw missingParameter('MaxCount');
  if (request.minCount < 1)
    throw invalidParameterValue(
      `Value (${request.minCount}) for parameter minCount is invalid. Expected a positive number.`,
    );
  if (request.maxCount < request.minCount) {
    throw invalidParameterValue(
      `Value (${request.maxCount}) for parameter maxCount is invalid. MaxCount must be at least MinCount (${request.minCount}).`,
    );
  }
  const typeName = request.instanceType || defaultInstanceType;
  const type = findInstanceType(typeName);
  if (!type) throw invalidParameterValue(`Invalid value '${typeName}' for InstanceType.`);
  decodeUserData(request.userData);
  checkClientToken(request.clientToken);

  const interfaces = request.networkInterfaces;
  if (interfaces.length > 1 || interfaces.some((i) => i.deviceIndex !== 0)) {
    throw new ApiError(
      'UnsupportedOperation',
      'Nimbus launches instances with one network interface, at device index 0.',
    );
  }
  const primary = interfaces[0];
  if (primary?.networkInterfaceId) {
    throw new ApiError(
      'UnsupportedOperation',
      'Launching with an existing network interface is not supported.',
    );
  }
  if (
    primary &&
    (request.subnetId || request.securityGroupIds.length > 0 || request.securityGroups.length > 0)
  ) {
    throw invalidParameterCombination(
      'Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request',
    );
  }
  const privateIp = primary?.privateIpAddress || request.privateIpAddress;
  if (privateIp && request.maxCount > 1) {
    throw invalidParameterCombination(
      'Cannot specify a private IP address when launching more than one instance',
    );
  }

  const instanceTags = tagsFor(
    'instance',
    request.tagSpecifications.filter((s) => s.resourceType === 'instance'),
  );
  const volumeTags = tagsFor(
    'volume',
    request.tagSpecifications.filter((s) => s.resourceType === 'volume'),
  );
  const otherType = request.tagSpecifications.find(
    (s) => s.resourceType !== 'instance' && s.resourceType !== 'volume',
  );
  if (otherType) tagsFor('instance', [otherType]);

  const m = request.metadataOptions;
  const hopLimit = m?.httpPutResponseHopLimit ?? 0;
  if (hopLimit !== 0 && (hopLimit < 1 || hopLimit > 64)) {
    throw invalidParameterValue(
      `Value (${hopLimit}) for parameter HttpPutResponseHopLimit is invalid. Expected 1-64.`,
    );
  }
  return {
    imageId: request.imageId,
    type,
    minCount: request.minCount,
    maxCount: request.maxCount,
    subnetId: primary?.subnetId || request.subnetId,
    groupIds: [...(primary?.groups ?? request.securityGroupIds)],
    groupNames: [...request.securityGroups],
    privateIp,
    associatePublicIp: primary?.associatePublicIpAddress,
    interfaceDeleteOnTermination: primary?.deleteOnTermination ?? true,
    zone: request.placement?.availabilityZone ?? '',
    shutdownBehavior: oneOf(
      request.instanceInitiatedShutdownBehavior,
      ['stop', 'terminate'] as const,
      'stop',
      'InstanceInitiatedShutdownBehavior',
    ),
    metadataOptions: {
      httpTokens: oneOf(m?.httpTokens ?? '', ['optional', 'required'] as const, 'optional', 'HttpTokens'),
      httpEndpoint: oneOf(m?.httpEndpoint ?? '', ['enabled', 'disabled'] as const, 'enabled', 'HttpEndpoint'),
      httpPutResponseHopLimit: hopLimit || 1,
      instanceMetadataTags: oneOf(
        m?.instanceMetadataTags ?? '',
        ['enabled', 'disabled'] as const,
        'disabled',
        'InstanceMetadataTags',
      ),
    },
    instanceTags,
    volumeTags,
  };
}

const volumeTypes = ['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'];
/** Data volumes' device names, as block storage's AttachVolume takes them. */
const extraDevice = /^\/dev\/(sd[f-p]|xvd[f-p])$/;

function badMapping(message: string): ApiError {
  return new ApiError('InvalidBlockDeviceMapping', message);
}

/** The image's volumes changed by the request's mappings, root first. */
export function volumesFor(
  root: MappedVolumeSpec,
  imageOthers: readonly MappedVolumeSpec[],
  mappings: readonly BlockDeviceMapping[],
): MappedVolumeSpec[] {
  const volumes = new Map<string, MappedVolumeSpec>([
    [root.deviceName, root],
    ...imageOthers.map((v) => [v.deviceName, v] as const),
  ]);
  const seen = new Set<string>();
  for (const m of mappings) {
    if (m.deviceName === '') throw missingParameter('BlockDeviceMapping.DeviceName');
    if (seen.has(m.deviceName))
      throw badMapping(`The device '${m.deviceName}' is used in more than one block-device mapping`);
    seen.add(m.deviceName);
    if (m.virtualName) throw invalidParameterValue('Instance store volumes are not offered by Nimbus.');
    const isRoot = m.deviceName === root.deviceName;
    if (m.noDevice !== undefined) {
      if (isRoot) throw badMapping('The root device cannot be suppressed.');
      volumes.delete(m.deviceName);
      continue;
    }
    const ebs = m.ebs;
    if (!ebs) throw badMapping(`The block-device mapping of '${m.deviceName}' needs Ebs.`);
    if (ebs.volumeType && !volumeTypes.includes(ebs.volumeType)) {
      throw invalidParameterValue(`Value (${ebs.volumeType}) for parameter volumeType is invalid.`);
    }
    const base = volumes.get(m.deviceName);
    if (!base && !extraDevice.test(m.deviceName)) throw badMapping(`Invalid device name ${m.deviceName}`);
    if (isRoot && ebs.snapshotId && ebs.snapshotId !== root.snapshotId) {
      throw badMapping("The root device must come from the image's snapshot.");
    }
    const snapshotId = ebs.snapshotId || base?.snapshotId || '';
    if (!base && snapshotId === '' && ebs.volumeSize === 0) {
      throw badMapping(`The block-device mapping of '${m.deviceName}' needs a snapshot or a volume size.`);
    }
    if (base && ebs.volumeSize !== 0 && ebs.volumeSize < base.size) {
      throw badMapping(
        `Volume of size ${ebs.volumeSize}GB is smaller than snapshot '${base.snapshotId}', expect size >= ${base.size}GB`,
      );
    }
    volumes.set(m.deviceName, {
      deviceName: m.deviceName,
      snapshotId,
      // The image's snapshot stays its owner's; a snapshot the request names is the caller's.
      ...(base?.snapshotOwnerId && snapshotId === base.snapshotId
        ? { snapshotOwnerId: base.snapshotOwnerId }
        : {}),
      size: ebs.volumeSize || base?.size || 0,
      volumeType: ebs.volumeType || base?.volumeType || 'gp2',
      iops: ebs.iops || base?.iops || 0,
      throughput: ebs.throughput || base?.throughput || 0,
      encrypted: ebs.encrypted || base?.encrypted || false,
      deleteOnTermination: ebs.deleteOnTermination ?? base?.deleteOnTermination ?? true,
      isRoot,
    });
  }
  return [...volumes.values()].sort(
    (a, b) => Number(b.isRoot) - Number(a.isRoot) || a.deviceName.localeCompare(b.deviceName),
  );
}
