/**
 * ModifyVolume and DescribeVolumesModifications. A modification grows the
 * volume's file first (harmless if the record then loses a race: the file is
 * only sparse room), then writes the volume's new spec and the modification
 * record in one transaction; the modification goes optimizing -> completed.
 */
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  createRecords,
  dryRunOperation,
  type FilterFields,
  pageOf,
  resolveMaxResults,
} from '@nimbus/service-kit';
import { StorageError, StorageErrorCode } from '../domain/storage-errors.js';
import { resolveModifiedSpec, type VolumeSpec } from '../domain/volume-types.js';
import { storageKeys } from '../state/storage-keys.js';
import type { VolumeLifecycle } from '../state/volume-lifecycle.js';
import { getVolume, requireVolumeId } from '../state/volume-lookups.js';
import type { VolumeModificationRecord, VolumeRecord } from '../state/volume-records.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import type { ApiDeps } from './api-deps.js';
import { modificationView } from './volume-views.js';

type VolumeModificationApi = Pick<
  ServiceImpl<typeof BlockStorageService>,
  'modifyVolume' | 'describeVolumesModifications'
>;

const modificationFilters: FilterFields<VolumeModificationRecord> = {
  'volume-id': (m) => m.volumeId,
  'modification-state': (m) => m.modificationState,
  'target-size': (m) => m.target.size,
  'target-iops': (m) => m.target.iops,
  'target-volume-type': (m) => m.target.volumeType,
  'target-throughput': (m) => m.target.throughput,
  'target-multi-attach-enabled': (m) => m.target.multiAttachEnabled,
  'original-size': (m) => m.original.size,
  'original-iops': (m) => m.original.iops,
  'original-volume-type': (m) => m.original.volumeType,
  'original-multi-attach-enabled': (m) => m.original.multiAttachEnabled,
  'start-time': (m) => m.startTime,
};

function specOf(v: VolumeSpec): VolumeSpec {
  return {
    volumeType: v.volumeType,
    size: v.size,
    iops: v.iops,
    throughput: v.throughput,
    multiAttachEnabled: v.multiAttachEnabled,
  };
}

export function createVolumeModificationApi(
  deps: ApiDeps,
  files: VolumeFiles,
  lifecycle: VolumeLifecycle,
): VolumeModificationApi {
  const volumes = createRecords<VolumeRecord>(deps.store);
  const modifications = createRecords<VolumeModificationRecord>(deps.store);

  return {
    async modifyVolume(request, { accountId }) {
      const change = {
        volumeType: request.volumeType,
        size: request.size,
        iops: request.iops,
        throughput: request.throughput,
        multiAttachEnabled: request.multiAttachEnabled,
      };
      for (;;) {
        const volume = await getVolume(volumes, accountId, request.volumeId);
        if (volume.value.state !== 'available' && volume.value.state !== 'in-use') {
          throw new StorageError(
            StorageErrorCode.IncorrectState,
            `The volume '${request.volumeId}' is '${volume.value.state}'; only an available or in-use volume can be modified.`,
          );
        }
        const modKey = storageKeys.modification(accountId, request.volumeId);
        const previous = await modifications.get(modKey);
        if (
          previous &&
          previous.value.modificationState !== 'completed' &&
          previous.value.modificationState !== 'failed'
        ) {
          throw new StorageError(
            StorageErrorCode.IncorrectModificationState,
            `Volume ${request.volumeId} is already being modified.`,
          );
        }
        const original = specOf(volume.value);
        const target = resolveModifiedSpec(original, change);
        if (request.dryRun) throw dryRunOperation();
        await files.grow(request.volumeId, target.size);
        const modification: VolumeModificationRecord = {
          volumeId: request.volumeId,
          ownerId: accountId,
          modificationState: 'optimizing',
          statusMessage: '',
          original,
          target,
          progress: 0,
          startTime: new Date().toISOString(),
        };
        const written = await deps.store.txn([
          {
            type: 'update',
            key: volume.key,
            value: JSON.stringify({ ...volume.value, ...target }),
            expectedRevision: volume.revision,
          },
          previous
            ? {
                type: 'update',
                key: modKey,
                value: JSON.stringify(modification),
                expectedRevision: previous.revision,
              }
            : { type: 'create', key: modKey, value: JSON.stringify(modification) },
        ]);
        if (!written.ok) continue;
        lifecycle.later(() => lifecycle.completeModification(modKey));
        return { volumeModification: modificationView(modification) };
      }
    },

    async describeVolumesModifications(request, { accountId }) {
      checkIdsWithoutMaxResults('VolumeIds', request.volumeIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults, { max: 500 });
      const matches = compileFilters(request.filters, modificationFilters);
      for (const id of request.volumeIds) requireVolumeId(id);
      if (request.dryRun) throw dryRunOperation();
      const all = (await modifications.list(storageKeys.modifications(accountId))).map((r) => r.value);
      for (const id of request.volumeIds) {
        if (!all.some((m) => m.volumeId === id)) {
          throw new StorageError(
            'InvalidVolumeModification.NotFound',
            `Modification for volume '${id}' does not exist.`,
          );
        }
      }
      const selected = all.filter(
        (m) => (request.volumeIds.length === 0 || request.volumeIds.includes(m.volumeId)) && matches(m),
      );
      const page = pageOf(selected, (m) => m.volumeId, { nextToken: request.nextToken, pageSize });
      return { volumesModifications: page.items.map(modificationView), nextToken: page.nextToken };
    },
  };
}
