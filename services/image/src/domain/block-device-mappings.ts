/**
 * An image's block device mappings as stored, and EC2's rules for the ones a
 * caller gives: device names, one mapping per device, an EBS snapshot for
 * the root device, sizes and volume types. Whether each snapshot exists and is
 * completed is asked of block-storage (see state/snapshot-checks.ts).
 */
import type { BlockDeviceMapping } from '@nimbus/api/gen/nimbus/image/v1/image_pb';
import { isId } from './ids.js';
import { ImageError, ImageErrorCode } from './image-errors.js';

export interface EbsRecord {
  /** Empty for a blank volume of volumeSize GiB. */
  snapshotId: string;
  /** GiB; 0 until the snapshot's size is known (then at least that). */
  volumeSize: number;
  volumeType: string;
  deleteOnTermination: boolean;
  iops: number;
  throughput: number;
  encrypted: boolean;
}

export interface MappingRecord {
  deviceName: string;
  ebs?: EbsRecord;
  virtualName?: string;
  noDevice?: boolean;
}

export const defaultRootDeviceName = '/dev/xvda';

const devicePattern = /^\/dev\/(xvd|sd)[a-z]([1-9][0-9]?)?$/;
const volumeTypes = new Set(['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard']);
/** GiB: the largest volume of any type (gp3, io2 Block Express). */
const maxVolumeSize = 65_536;

function invalidMapping(message: string): ImageError {
  return new ImageError(ImageErrorCode.InvalidBlockDeviceMapping, message);
}

export function checkDeviceName(deviceName: string, parameter = 'DeviceName'): void {
  if (!devicePattern.test(deviceName)) {
    throw invalidMapping(
      `Invalid device name ${deviceName || '(empty)'} for ${parameter}: expected /dev/sd[a-z] or /dev/xvd[a-z]`,
    );
  }
}

/**
 * The mappings of a RegisterImage call, checked and with defaults filled in.
 * The root device must be mapped to an EBS volume from a snapshot.
 */
export function mappingsFromRequest(
  rootDeviceName: string,
  mappings: readonly BlockDeviceMapping[],
): MappingRecord[] {
  checkDeviceName(rootDeviceName, 'RootDeviceName');
  const seen = new Set<string>();
  const records = mappings.map((m): MappingRecord => {
    checkDeviceName(m.deviceName);
    if (seen.has(m.deviceName)) {
      throw invalidMapping(`The device name ${m.deviceName} is mapped more than once.`);
    }
    seen.add(m.deviceName);
    if (m.noDevice) return { deviceName: m.deviceName, noDevice: true };
    if (m.virtualName !== '') {
      if (!/^ephemeral([0-9]|1[0-9]|2[0-3])$/.test(m.virtualName)) {
        throw invalidMapping(`Invalid virtual name ${m.virtualName}: expected ephemeral0 to ephemeral23`);
      }
      if (m.ebs) throw invalidMapping(`The device ${m.deviceName} cannot have both a virtual name and EBS.`);
      return { deviceName: m.deviceName, virtualName: m.virtualName };
    }
    if (!m.ebs)
      throw invalidMapping(`The device ${m.deviceName} must name an EBS volume, a virtual name or NoDevice.`);
    const ebs = m.ebs;
    if (ebs.snapshotId !== '' && !isId('snap', ebs.snapshotId)) {
      throw new ImageError(
        'InvalidSnapshotID.Malformed',
        `Invalid id: "${ebs.snapshotId}" (expecting "snap-...")`,
      );
    }
    if (ebs.snapshotId === '' && ebs.volumeSize <= 0) {
      throw invalidMapping(`The device ${m.deviceName} needs a snapshot id or a volume size.`);
    }
    if (ebs.volumeSize < 0 || ebs.volumeSize > maxVolumeSize) {
      throw invalidMapping(`Invalid volume size ${ebs.volumeSize} GiB for ${m.deviceName}.`);
    }
    const volumeType = ebs.volumeType || 'gp2';
    if (!volumeTypes.has(volumeType)) {
      throw new ImageError(
        ImageErrorCode.InvalidParameterValue,
        `Value (${volumeType}) for parameter volumeType is invalid. Valid types: gp2, gp3, io1, io2, st1, sc1, standard.`,
      );
    }
    return {
      deviceName: m.deviceName,
      ebs: {
        snapshotId: ebs.snapshotId,
        volumeSize: ebs.volumeSize,
        volumeType,
        deleteOnTermination: ebs.deleteOnTermination ?? true,
        iops: ebs.iops,
        throughput: ebs.throughput,
        encrypted: ebs.encrypted,
      },
    };
  });
  const root = records.find((r) => r.deviceName === rootDeviceName);
  if (!root?.ebs?.snapshotId) {
    throw invalidMapping(
      `The root device ${rootDeviceName} must be mapped to an EBS volume from a snapshot.`,
    );
  }
  if (root.ebs.volumeType === 'st1' || root.ebs.volumeType === 'sc1') {
    throw invalidMapping(`The root device cannot be a ${root.ebs.volumeType} volume: it cannot boot.`);
  }
  return records;
}

/** The snapshots behind the mappings, each once. */
export function snapshotsOf(mappings: readonly MappingRecord[]): string[] {
  return [...new Set(mappings.flatMap((m) => (m.ebs?.snapshotId ? [m.ebs.snapshotId] : [])))];
}
