/**
 * CopyImage within the region. The call checks the source (an image the
 * caller may launch, available) and the new name, then records the new image
 * `pending` with the copy still to do, its name and its client token in one
 * transaction, and answers; the image controller copies the snapshots
 * through block storage and moves the image to available, or to failed
 * leaving no snapshot behind (controllers/image-controller.ts).
 */
import type { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  argumentsDigest,
  checkClientToken,
  createClientTokens,
  createRecords,
  dryRunOperation,
  tagsFor,
} from '@nimbus/service-kit';
import { snapshotsOf } from '../domain/block-device-mappings.js';
import { IdPrefix, newId } from '../domain/ids.js';
import {
  ImageError,
  ImageErrorCode,
  imageUnavailable,
  invalidParameterValue,
} from '../domain/image-errors.js';
import { checkImageDescription, checkImageName, duplicateImageName } from '../domain/image-names.js';
import { imageKeys } from '../state/image-keys.js';
import { getLaunchableImage } from '../state/image-lookups.js';
import type { ImageNameRecord, ImageRecord } from '../state/image-records.js';
import { createImage } from '../state/image-writes.js';
import type { ApiDeps } from './api-deps.js';
import { publishImageStateChanged } from './image-events.js';

type CopyImageApi = Pick<ServiceImpl<typeof ImageService>, 'copyImage'>;

export function createCopyImageApi(deps: ApiDeps): CopyImageApi {
  const images = createRecords<ImageRecord>(deps.store);
  const names = createRecords<ImageNameRecord>(deps.store);
  const tokens = createClientTokens(deps.store, imageKeys.copyClientToken);

  return {
    async copyImage(request, context) {
      const { accountId } = context;
      if (request.sourceRegion !== '' && request.sourceRegion !== deps.config.region) {
        throw invalidParameterValue(
          `Nimbus copies images within its region only: SourceRegion must be '${deps.config.region}'.`,
        );
      }
      checkImageName(request.name, 'Name');
      checkImageDescription(request.description);
      if (request.kmsKeyId !== '' && !request.encrypted) {
        throw new ImageError(
          ImageErrorCode.InvalidParameterCombination,
          'KmsKeyId can be given only with Encrypted.',
        );
      }
      checkClientToken(request.clientToken);
      const tags = tagsFor('image', request.tagSpecifications);
      const source = (await getLaunchableImage(images, accountId, request.sourceImageId, 'SourceImageId'))
        .value;

      const fingerprint = argumentsDigest([
        request.sourceImageId,
        request.name,
        request.description,
        request.encrypted,
        tags,
      ]);
      const tokenKey = request.clientToken
        ? imageKeys.copyClientToken(accountId, request.clientToken)
        : undefined;
      if (tokenKey) {
        const earlier = await tokens.earlier(accountId, request.clientToken, fingerprint);
        if (earlier) return { imageId: earlier };
      }
      if (source.state !== 'available') throw imageUnavailable(source.imageId, source.state);
      const held = await names.get(imageKeys.imageName(accountId, request.name));
      if (held) throw duplicateImageName(request.name, held.value.imageId);
      if (request.dryRun) throw dryRunOperation();

      const imageId = newId(IdPrefix.image);
      const ownTags = source.ownerId === accountId && request.copyImageTags ? source.tags : [];
      const image: ImageRecord = {
        ...source,
        imageId,
        ownerId: accountId,
        name: request.name,
        description:
          request.description || `[Copied ${source.imageId} from ${deps.config.region}] ${source.name}`,
        state: 'pending',
        creationDate: new Date(deps.now()).toISOString(),
        tags: [...ownTags.filter((t) => !tags.some((n) => n.key === t.key)), ...tags],
        launchPermission: { public: false, userIds: [] },
        sourceImageId: source.imageId,
        sourceImageRegion: deps.config.region,
        copy: {
          sourceImageId: source.imageId,
          sourceOwnerId: source.ownerId,
          snapshots: snapshotsOf(source.blockDeviceMappings).map((sourceSnapshotId) => ({
            sourceSnapshotId,
          })),
        },
      };
      delete image.stateReason;
      delete image.deregisteredAt;
      delete image.snapshotsToDelete;
      const created = await createImage(
        deps.store,
        image,
        tokenKey ? [tokens.claim(accountId, request.clientToken, fingerprint, imageId)] : [],
      );
      if (!created.ok) {
        if (tokenKey && created.failedKey === tokenKey) {
          // A concurrent call with the same token won: answer as it did.
          const winner = await tokens.earlier(accountId, request.clientToken, fingerprint);
          if (winner) return { imageId: winner };
        }
        throw new Error(`image ${imageId} could not be recorded`);
      }
      await publishImageStateChanged(
        deps.bus,
        context.logger,
        image,
        '',
        created.revision,
        context.requestId,
      );
      return { imageId };
    },
  };
}
