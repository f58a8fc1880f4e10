/**
 * The BlockStorageService implementation, assembled from one module per
 * resource kind; each module owns its handlers and its records. An action no
 * module serves yet answers UnsupportedOperation.
 */
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { VolumeLifecycle } from '../state/volume-lifecycle.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import type { ApiDeps } from './api-deps.js';
import { translatingErrors } from './api-errors.js';
import { notYetAvailable } from './not-yet-available.js';
import { createVolumeApi } from './volume-api.js';
import { createVolumeModificationApi } from './volume-modification-api.js';
import { createVolumeTagApi } from './volume-tag-api.js';

export function createBlockStorageApi(
  deps: ApiDeps,
  files: VolumeFiles,
  lifecycle: VolumeLifecycle,
): ServiceImpl<typeof BlockStorageService> {
  const unavailable = Object.fromEntries(
    BlockStorageService.methods.map((method) => [method.localName, notYetAvailable(method.name)]),
  ) as unknown as ServiceImpl<typeof BlockStorageService>;
  return translatingErrors({
    ...unavailable,
    ...createVolumeApi(deps, files, lifecycle),
    ...createVolumeModificationApi(deps, files, lifecycle),
    ...createVolumeTagApi(deps),
  });
}
