/**
 * CreateTags and DeleteTags on images. Tags are the owner's: every image is
 * checked before any is changed, so an unknown or foreign id changes nothing.
 */
import { create } from '@bufbuild/protobuf';
import { TagSpecificationSchema } from '@nimbus/api/gen/nimbus/common/v1/common_pb';
import type { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation, type StoredTag, tagsFor } from '@nimbus/service-kit';
import { isId } from '../domain/ids.js';
import {
  ImageError,
  ImageErrorCode,
  invalidParameterValue,
  missingParameter,
} from '../domain/image-errors.js';
import { getOwnImage } from '../state/image-lookups.js';
import type { ImageRecord } from '../state/image-records.js';
import type { ApiDeps } from './api-deps.js';

type ImageTagApi = Pick<ServiceImpl<typeof ImageService>, 'createTags' | 'deleteTags'>;

const maxTags = 50;

export function createImageTagApi(deps: ApiDeps): ImageTagApi {
  const images = createRecords<ImageRecord>(deps.store);

  const retag = async (
    accountId: string,
    resources: readonly string[],
    dryRun: boolean,
    change: (tags: StoredTag[]) => StoredTag[],
  ) => {
    if (resources.length === 0) throw missingParameter('ResourceId');
    for (const id of resources) {
      if (!isId('ami', id)) {
        throw new ImageError(
          ImageErrorCode.InvalidId,
          `The ID '${id}' is not valid: the image service tags images (ami-...).`,
        );
      }
      await getOwnImage(images, accountId, id);
    }
    if (dryRun) throw dryRunOperation();
    for (const id of resources) {
      for (;;) {
        const current = await getOwnImage(images, accountId, id);
        const tags = change(current.value.tags);
        if (tags.length > maxTags)
          throw invalidParameterValue(`A resource can have at most ${maxTags} tags.`);
        if (await images.update(current, { ...current.value, tags })) break;
      }
    }
  };

  return {
    async createTags(request, { accountId }) {
      if (request.tags.length === 0) throw missingParameter('Tag');
      const added = tagsFor('image', [
        create(TagSpecificationSchema, { resourceType: 'image', tags: request.tags }),
      ]);
      await retag(accountId, request.resources, request.dryRun, (tags) => [
        ...tags.filter((t) => !added.some((a) => a.key === t.key)),
        ...added,
      ]);
      return {};
    },

    async deleteTags(request, { accountId }) {
      // No tags named: every tag goes, as in EC2; an empty value matches any value.
      await retag(accountId, request.resources, request.dryRun, (tags) =>
        request.tags.length === 0
          ? []
          : tags.filter(
              (t) => !request.tags.some((d) => d.key === t.key && (d.value === '' || d.value === t.value)),
            ),
      );
      return {};
    },
  };
}
