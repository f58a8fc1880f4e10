/**
 * The ImageService implementation, assembled from one module per concern;
 * an action no module serves yet (CreateImage, which needs compute's
 * instances) answers UnsupportedOperation naming it.
 */
import { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import type { ApiDeps } from './api-deps.js';
import { createCopyImageApi } from './copy-image-api.js';
import { createImageApi } from './image-api.js';
import { createImageAttributeApi } from './image-attribute-api.js';
import { createImageTagApi } from './image-tag-api.js';

export function createImageServiceApi(deps: ApiDeps): ServiceImpl<typeof ImageService> {
  return assembleService(
    ImageService,
    createImageApi(deps),
    createCopyImageApi(deps),
    createImageAttributeApi(deps),
    createImageTagApi(deps),
  );
}
