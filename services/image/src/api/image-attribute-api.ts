/**
 * DescribeImageAttribute, ModifyImageAttribute and ResetImageAttribute: the
 * owner's view and control of an image's description and launch permissions.
 * Another account's image, shared or public, is AuthFailure.
 */
import type { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation } from '@nimbus/service-kit';
import { ImageError, ImageErrorCode, invalidParameterValue } from '../domain/image-errors.js';
import { checkImageDescription } from '../domain/image-names.js';
import {
  applyLaunchPermissionChange,
  checkLaunchPermissionGroup,
  checkLaunchPermissionUser,
  type LaunchPermissionChange,
} from '../domain/launch-permissions.js';
import { getOwnImage } from '../state/image-lookups.js';
import type { ImageRecord } from '../state/image-records.js';
import type { ApiDeps } from './api-deps.js';
import { mappingViews } from './image-views.js';

type ImageAttributeApi = Pick<
  ServiceImpl<typeof ImageService>,
  'describeImageAttribute' | 'modifyImageAttribute' | 'resetImageAttribute'
>;

const attributes = new Set([
  'description',
  'kernel',
  'ramdisk',
  'launchPermission',
  'productCodes',
  'blockDeviceMapping',
  'sriovNetSupport',
  'bootMode',
  'lastLaunchedTime',
  'imdsSupport',
  'deregistrationProtection',
]);

function unknownAttribute(attribute: string): ImageError {
  return invalidParameterValue(`Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
}

type LaunchPermissionLike = { userId: string; group: string };

/** The change a ModifyImageAttribute call asks of the launch permissions, checked. */
function launchPermissionChange(
  add: readonly LaunchPermissionLike[],
  remove: readonly LaunchPermissionLike[],
): LaunchPermissionChange {
  const users = (list: readonly LaunchPermissionLike[]) =>
    list.flatMap((p) => {
      if (p.userId !== '' && p.group !== '') {
        throw new ImageError(
          ImageErrorCode.InvalidParameterCombination,
          'A launch permission names either a UserId or a Group, not both.',
        );
      }
      if (p.userId === '' && p.group === '') {
        throw new ImageError(
          ImageErrorCode.MissingParameter,
          'A launch permission needs a UserId or a Group.',
        );
      }
      if (p.group !== '') {
        checkLaunchPermissionGroup(p.group);
        return [];
      }
      checkLaunchPermissionUser(p.userId);
      return [p.userId];
    });
  const addUsers = users(add);
  const removeUsers = users(remove);
  const addsAll = add.some((p) => p.group !== '');
  const removesAll = remove.some((p) => p.group !== '');
  return {
    addUsers,
    removeUsers,
    ...(addsAll ? { public: true } : removesAll ? { public: false } : {}),
  };
}

export function createImageAttributeApi(deps: ApiDeps): ImageAttributeApi {
  const images = createRecords<ImageRecord>(deps.store);

  /** Rewrites the caller's image until the write wins the race. */
  const modify = async (accountId: string, imageId: string, change: (image: ImageRecord) => ImageRecord) => {
    for (;;) {
      const current = await getOwnImage(images, accountId, imageId);
      if (await images.update(current, change(current.value))) return;
    }
  };

  return {
    async describeImageAttribute(request, { accountId }) {
      if (request.attribute === '')
        throw new ImageError(
          ImageErrorCode.MissingParameter,
          'The request must contain the parameter Attribute',
        );
      if (!attributes.has(request.attribute)) throw unknownAttribute(request.attribute);
      const { value: image } = await getOwnImage(images, accountId, request.imageId);
      if (request.dryRun) throw dryRunOperation();
      const base = { imageId: image.imageId };
      switch (request.attribute) {
        case 'description':
          return { ...base, description: image.description };
        case 'launchPermission':
          return {
            ...base,
            launchPermissions: [
              ...(image.launchPermission.public ? [{ group: 'all' }] : []),
              ...image.launchPermission.userIds.map((userId) => ({ userId })),
            ],
          };
        case 'blockDeviceMapping':
          return { ...base, blockDeviceMappings: mappingViews(image.blockDeviceMappings) };
        case 'bootMode':
          return { ...base, bootMode: image.bootMode };
        case 'kernel':
          return { ...base, kernelId: '' };
        case 'ramdisk':
          return { ...base, ramdiskId: '' };
        case 'sriovNetSupport':
          return { ...base, sriovNetSupport: 'simple' };
        case 'imdsSupport':
          return { ...base, imdsSupport: '' };
        case 'deregistrationProtection':
          return { ...base, deregistrationProtection: 'disabled' };
        case 'lastLaunchedTime':
          return { ...base, lastLaunchedTime: '' };
        default:
          return { ...base, productCodes: [] };
      }
    },

    async modifyImageAttribute(request, { accountId }) {
      const attribute = request.attribute;
      const describing = attribute === 'description' || request.description !== undefined;
      const permitting =
        attribute === 'launchPermission' ||
        request.launchPermission !== undefined ||
        request.operationType !== '';
      if (attribute !== '' && attribute !== 'description' && attribute !== 'launchPermission') {
        throw invalidParameterValue(
          `Value (${attribute}) for parameter attribute is invalid. Nimbus can modify description and launchPermission.`,
        );
      }
      if (describing === permitting) {
        throw new ImageError(
          ImageErrorCode.InvalidParameterCombination,
          describing
            ? 'Modify either the description or the launch permissions in one call, not both.'
            : 'No attribute to modify: give a Description or a LaunchPermission.',
        );
      }
      let change: (image: ImageRecord) => ImageRecord;
      if (describing) {
        const description = request.description ?? request.value;
        checkImageDescription(description);
        change = (image) => ({ ...image, description });
      } else {
        const add: LaunchPermissionLike[] = [...(request.launchPermission?.add ?? [])];
        const remove: LaunchPermissionLike[] = [...(request.launchPermission?.remove ?? [])];
        if (request.operationType !== '') {
          if (request.operationType !== 'add' && request.operationType !== 'remove') {
            throw invalidParameterValue(
              `Value (${request.operationType}) for parameter operationType is invalid. Expected add or remove.`,
            );
          }
          const given = [
            ...request.userIds.map((userId) => ({ userId, group: '' })),
            ...request.userGroups.map((group) => ({ userId: '', group })),
          ];
          (request.operationType === 'add' ? add : remove).push(...given);
        }
        if (add.length === 0 && remove.length === 0) {
          throw new ImageError(
            ImageErrorCode.MissingParameter,
            'The request must name at least one account or group to add or remove.',
          );
        }
        const permissionChange = launchPermissionChange(add, remove);
        change = (image) => ({
          ...image,
          launchPermission: applyLaunchPermissionChange(image.launchPermission, permissionChange),
        });
      }
      await getOwnImage(images, accountId, request.imageId);
      if (request.dryRun) throw dryRunOperation();
      await modify(accountId, request.imageId, change);
      return {};
    },

    async resetImageAttribute(request, { accountId }) {
      if (request.attribute !== 'launchPermission') {
        throw invalidParameterValue(
          `Value (${request.attribute}) for parameter attribute is invalid. Only launchPermission can be reset.`,
        );
      }
      await getOwnImage(images, accountId, request.imageId);
      if (request.dryRun) throw dryRunOperation();
      await modify(accountId, request.imageId, (image) => ({
        ...image,
        launchPermission: { public: false, userIds: [] },
      }));
      return {};
    },
  };
}
