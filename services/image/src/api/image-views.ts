/** Stored image records as the API shows them. */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type BlockDeviceMapping, type Image, ImageSchema } from '@nimbus/api/gen/nimbus/image/v1/image_pb';
import { toTags } from '@nimbus/service-kit';
import type { MappingRecord } from '../domain/block-device-mappings.js';
import { ownerAliasOf } from '../domain/nimbus-owner.js';
import type { ImageRecord } from '../state/image-records.js';

export function mappingViews(mappings: readonly MappingRecord[]): BlockDeviceMapping[] {
  return mappings.map((m) => ({
    $typeName: 'nimbus.image.v1.BlockDeviceMapping',
    deviceName: m.deviceName,
    noDevice: m.noDevice ?? false,
    virtualName: m.virtualName ?? '',
    ...(m.ebs ? { ebs: { $typeName: 'nimbus.image.v1.EbsBlockDevice', ...m.ebs } } : {}),
  }));
}

/** The image as `viewer` sees it: tags are the owner's, as in EC2 (they are not shared with the image). */
export function imageView(image: ImageRecord, viewer: string): Image {
  const alias = ownerAliasOf(image.ownerId);
  return create(ImageSchema, {
    imageId: image.imageId,
    name: image.name,
    description: image.description,
    state: image.state,
    ownerId: image.ownerId,
    imageOwnerAlias: alias,
    public: image.launchPermission.public,
    architecture: image.architecture,
    rootDeviceName: image.rootDeviceName,
    rootDeviceType: 'ebs',
    blockDeviceMappings: mappingViews(image.blockDeviceMappings),
    creationDate: timestampFromDate(new Date(image.creationDate)),
    ...(image.stateReason ? { stateReason: image.stateReason } : {}),
    tags: image.ownerId === viewer ? toTags(image.tags) : [],
    imageType: 'machine',
    virtualizationType: image.virtualizationType,
    platformDetails: 'Linux/UNIX',
    imageLocation: `${alias || image.ownerId}/${image.name}`,
    sourceImageId: image.sourceImageId ?? '',
    sourceImageRegion: image.sourceImageRegion ?? '',
    bootCommand: image.bootCommand,
    sourceInstanceId: image.sourceInstanceId ?? '',
  });
}
