/**
 * CreateTags and DeleteTags on volumes and snapshots.
 * Every resource is checked before any is changed, so an unknown id changes nothing.
 */
import { create } from '@bufbuild/protobuf';
import { TagSpecificationSchema } from '@nimbus/api/gen/nimbus/common/v1/common_pb';
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation, type StoredTag, tagsFor } from '@nimbus/service-kit';
import { invalidParameterValue, missingParameter } from '../domain/storage-errors.js';
import { getSnapshot } from '../state/snapshot-lookups.js';
import type { SnapshotRecord } from '../state/snapshot-records.js';
import { getVolume } from '../state/volume-lookups.js';
import type { VolumeRecord } from '../state/volume-records.js';
import type { ApiDeps } from './api-deps.js';

type VolumeTagApi = Pick<ServiceImpl<typeof BlockStorageService>, 'createTags' | 'deleteTags'>;

const maxTags = 50;

export function createVolumeTagApi(deps: ApiDeps): VolumeTagApi {
  const volumes = createRecords<VolumeRecord>(deps.store);
  const snapshots = createRecords<SnapshotRecord>(deps.store);

  /** Reads a resource's tags and writes them back changed; false when the record changed meanwhile. */
  const resource = async (accountId: string, id: string) => {
    if (id.startsWith('snap-')) {
      const snapshot = await getSnapshot(snapshots, accountId, id);
      return {
        tags: snapshot.value.tags,
        write: (tags: StoredTag[]) => snapshots.update(snapshot, { ...snapshot.value, tags }),
      };
    }
    const volume = await getVolume(volumes, accountId, id);
    return {
      tags: volume.value.tags,
      write: (tags: StoredTag[]) => volumes.update(volume, { ...volume.value, tags }),
    };
  };

  const retag = async (
    accountId: string,
    resources: readonly string[],
    dryRun: boolean,
    change: (tags: StoredTag[]) => StoredTag[],
  ) => {
    if (resources.length === 0) throw missingParameter('ResourceId');
    for (const id of resources) await resource(accountId, id);
    if (dryRun) throw dryRunOperation();
    for (const id of resources) {
      for (;;) {
        const current = await resource(accountId, id);
        const tags = change(current.tags);
        if (tags.length > maxTags)
          throw invalidParameterValue(`A resource can have at most ${maxTags} tags.`);
        if (await current.write(tags)) break;
      }
    }
  };

  return {
    async createTags(request, { accountId }) {
      if (request.tags.length === 0) throw missingParameter('Tag');
      const added = tagsFor('volume', [
        create(TagSpecificationSchema, { resourceType: 'volume', tags: request.tags }),
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
