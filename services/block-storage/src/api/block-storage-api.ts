/**
 * The BlockStorageService implementation, assembled from one module per
 * resource kind; each module owns its handlers and its records. An action no
 * module serves yet answers UnsupportedOperation.
 */
import { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import type { SnapshotLifecycle } from '../state/snapshot-lifecycle.js';
import type { VolumeLifecycle } from '../state/volume-lifecycle.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import type { ApiDeps } from './api-deps.js';
import { createImportSnapshotApi } from './import-snapshot-api.js';
import { createLifecyclePolicyApi } from './lifecycle-policy-api.js';
import { createSnapshotApi, type SnapshotUsers } from './snapshot-api.js';
import { createVolumeApi } from './volume-api.js';
import { createVolumeAttachmentApi } from './volume-attachment-api.js';
import { createVolumeModificationApi } from './volume-modification-api.js';
import { createVolumeTagApi } from './volume-tag-api.js';

export function createBlockStorageApi(
  deps: ApiDeps,
  files: VolumeFiles,
  lifecycle: VolumeLifecycle,
  snapshots: SnapshotLifecycle,
  snapshotUsers?: SnapshotUsers,
): ServiceImpl<typeof BlockStorageService> {
  return assembleService(
    BlockStorageService,
    createVolumeApi(deps, files, lifecycle, snapshots),
    createVolumeModificationApi(deps, files, lifecycle),
    createVolumeTagApi(deps),
    createVolumeAttachmentApi(deps, lifecycle),
    createSnapshotApi(deps, files, snapshots, snapshotUsers),
    createImportSnapshotApi(deps, snapshots),
    createLifecyclePolicyApi(deps),
  );
}
