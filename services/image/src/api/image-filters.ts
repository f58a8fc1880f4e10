/** The DescribeImages filters, each reading one attribute of an image. */
import type { FilterFields } from '@nimbus/service-kit';
import { ownerAliasOf } from '../domain/nimbus-owner.js';
import type { ImageRecord } from '../state/image-records.js';

const ebsOf = (i: ImageRecord) => i.blockDeviceMappings.flatMap((m) => (m.ebs ? [m.ebs] : []));

export const imageFilters: FilterFields<ImageRecord> = {
  'image-id': (i) => i.imageId,
  name: (i) => i.name,
  description: (i) => i.description,
  state: (i) => i.state,
  'is-public': (i) => i.launchPermission.public,
  'owner-id': (i) => i.ownerId,
  'owner-alias': (i) => ownerAliasOf(i.ownerId),
  architecture: (i) => i.architecture,
  'image-type': () => 'machine',
  'root-device-name': (i) => i.rootDeviceName,
  'root-device-type': () => 'ebs',
  'virtualization-type': (i) => i.virtualizationType,
  'platform-details': () => 'Linux/UNIX',
  'creation-date': (i) => i.creationDate,
  'source-instance-id': (i) => i.sourceInstanceId,
  'block-device-mapping.device-name': (i) => i.blockDeviceMappings.map((m) => m.deviceName),
  'block-device-mapping.snapshot-id': (i) => ebsOf(i).map((e) => e.snapshotId),
  'block-device-mapping.volume-size': (i) => ebsOf(i).map((e) => e.volumeSize),
  'block-device-mapping.volume-type': (i) => ebsOf(i).map((e) => e.volumeType),
  'block-device-mapping.delete-on-termination': (i) => ebsOf(i).map((e) => e.deleteOnTermination),
  'block-device-mapping.encrypted': (i) => ebsOf(i).map((e) => e.encrypted),
};
