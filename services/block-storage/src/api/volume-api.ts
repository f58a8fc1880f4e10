/**
 * CreateVolume, DescribeVolumes, DeleteVolume, DescribeVolumeStatus. A volume
 * is its record under /nimbus/storage/volumes/<account>/ and its bytes, a
 * sparse file under the storage root. CreateVolume makes the file first and
 * then the record, and removes the file if the record cannot be written, so a
 * failed call leaves nothing; a file left by a crash between the two has no
 * record and the start-up sweep removes it.
 */
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  argumentsDigest,
  checkClientToken,
  checkIdsWithoutMaxResults,
  compileFilters,
  createClientTokens,
  createRecords,
  dryRunOperation,
  type FilterFields,
  pageOf,
  type Records,
  resolveMaxResults,
  tagsFor,
} from '@nimbus/service-kit';
import type { TxnOp } from '@nimbus/store';
import { IdPrefix, newId } from '../domain/ids.js';
import {
  invalidParameterValue,
  missingParameter,
  StorageError,
  StorageErrorCode,
} from '../domain/storage-errors.js';
import { resolveVolumeSpec } from '../domain/volume-types.js';
import type { SnapshotLifecycle } from '../state/snapshot-lifecycle.js';
import { getSnapshot } from '../state/snapshot-lookups.js';
import type { SnapshotRecord } from '../state/snapshot-records.js';
import { storageKeys } from '../state/storage-keys.js';
import type { VolumeLifecycle } from '../state/volume-lifecycle.js';
import { getVolume, requireVolumeId, volumeNotFound } from '../state/volume-lookups.js';
import type { VolumeRecord } from '../state/volume-records.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import type { ApiDeps } from './api-deps.js';
import { performanceView } from './volume-performance-view.js';
import { volumeView } from './volume-views.js';

type VolumeApi = Pick<
  ServiceImpl<typeof BlockStorageService>,
  'createVolume' | 'describeVolumes' | 'deleteVolume' | 'describeVolumeStatus'
>;

const volumeFilters: FilterFields<VolumeRecord> = {
  'volume-id': (v) => v.volumeId,
  status: (v) => v.state,
  'volume-type': (v) => v.volumeType,
  'availability-zone': (v) => v.availabilityZone,
  size: (v) => v.size,
  'create-time': (v) => v.createTime,
  'snapshot-id': (v) => v.snapshotId,
  encrypted: (v) => v.encrypted,
  'multi-attach-enabled': (v) => v.multiAttachEnabled,
  'attachment.instance-id': (v) => v.attachments.map((a) => a.instanceId),
  'attachment.status': (v) => v.attachments.map((a) => a.state),
  'attachment.device': (v) => v.attachments.map((a) => a.device),
  'attachment.delete-on-termination': (v) => v.attachments.map((a) => a.deleteOnTermination),
};

const statusFilters: FilterFields<VolumeRecord> = {
  'volume-id': (v) => v.volumeId,
  'availability-zone': (v) => v.availabilityZone,
  'volume-status.status': () => 'ok',
};

/** The account's volumes the ids name (all when none), in id order; an unknown id is InvalidVolume.NotFound. */
export async function selectVolumes(
  volumes: Records<VolumeRecord>,
  accountId: string,
  volumeIds: readonly string[],
): Promise<VolumeRecord[]> {
  for (const id of volumeIds) requireVolumeId(id);
  const all = (await volumes.list(storageKeys.volumes(accountId))).map((r) => r.value);
  for (const id of volumeIds) {
    if (!all.some((v) => v.volumeId === id)) throw volumeNotFound(id);
  }
  return volumeIds.length === 0 ? all : all.filter((v) => volumeIds.includes(v.volumeId));
}

export function createVolumeApi(
  deps: ApiDeps,
  files: VolumeFiles,
  lifecycle: VolumeLifecycle,
  snapshotWork: SnapshotLifecycle,
): VolumeApi {
  const volumes = createRecords<VolumeRecord>(deps.store);
  const view = async (v: VolumeRecord) => {
    const path = files.pathOf(v.volumeId);
    return volumeView(v, path, await performanceView(v, path, deps.now()));
  };
  const snapshots = createRecords<SnapshotRecord>(deps.store);

  /** A completed snapshot of the caller's to make a volume from. */
  const usableSnapshot = async (accountId: string, snapshotId: string): Promise<SnapshotRecord> => {
    const { value } = await getSnapshot(snapshots, accountId, snapshotId);
    if (value.state !== 'completed') {
      throw new StorageError(
        StorageErrorCode.IncorrectState,
        `Snapshot is in invalid state - ${value.state}`,
      );
    }
    return value;
  };
  const clientTokens = createClientTokens(deps.store, storageKeys.clientToken);

  /** The volume a client token made before, if the arguments match; IdempotentParameterMismatch if not. */
  const earlier = async (accountId: string, token: string, digest: string) => {
    const volumeId = await clientTokens.earlier(accountId, token, digest);
    if (volumeId === undefined) return undefined;
    return (await volumes.get(storageKeys.volume(accountId, volumeId)))?.value;
  };

  return {
    async createVolume(request, { accountId, service }) {
      if (request.availabilityZone === '') throw missingParameter('AvailabilityZone');
      if (!deps.config.zones.includes(request.availabilityZone)) {
        throw invalidParameterValue(`Invalid availability zone: [${request.availabilityZone}]`);
      }
      const snapshotOwner = request.snapshotOwnerId || accountId;
      if (snapshotOwner !== accountId && !service) {
        throw invalidParameterValue(
          "Only Nimbus services may make a volume from another account's snapshot (SnapshotOwnerId).",
        );
      }
      const snapshot =
        request.snapshotId === '' ? undefined : await usableSnapshot(snapshotOwner, request.snapshotId);
      if (snapshot && request.size !== 0 && request.size < snapshot.volumeSize) {
        throw invalidParameterValue(
          `Volume of ${request.size}GiB is too small for snapshot '${snapshot.snapshotId}'; minimum is ${snapshot.volumeSize}GiB`,
        );
      }
      checkClientToken(request.clientToken);
      const spec = resolveVolumeSpec({
        volumeType: request.volumeType,
        size: request.size === 0 ? snapshot?.volumeSize : request.size,
        iops: request.iops === 0 ? undefined : request.iops,
        throughput: request.throughput === 0 ? undefined : request.throughput,
        multiAttachEnabled: request.multiAttachEnabled,
      });
      const tags = tagsFor('volume', request.tagSpecifications);
      const digest = argumentsDigest([
        request.availabilityZone,
        spec,
        request.encrypted,
        tags,
        request.snapshotId,
        snapshotOwner,
      ]);
      if (request.clientToken) {
        const made = await earlier(accountId, request.clientToken, digest);
        if (made) return { volume: await view(made) };
      }
      if (request.dryRun) throw dryRunOperation();

      const record: VolumeRecord = {
        ...spec,
        volumeId: newId(IdPrefix.volume),
        ownerId: accountId,
        availabilityZone: request.availabilityZone,
        state: 'creating',
        createTime: new Date().toISOString(),
        snapshotId: request.snapshotId,
        encrypted: request.encrypted || (snapshot?.encrypted ?? false),
        attachments: [],
        tags,
      };
      const key = storageKeys.volume(accountId, record.volumeId);
      // Claimed before the record exists, so that a start-up sweep running now does not restore it twice.
      if (snapshot) snapshotWork.claim(record.volumeId);
      await files.create(record.volumeId, record.size, { blank: !snapshot }).catch((error: unknown) => {
        snapshotWork.release(record.volumeId);
        throw error;
      });
      const ops: TxnOp[] = [{ type: 'create', key, value: JSON.stringify(record) }];
      if (request.clientToken)
        ops.push(clientTokens.claim(accountId, request.clientToken, digest, record.volumeId));
      let result: Awaited<ReturnType<typeof deps.store.txn>>;
      try {
        result = await deps.store.txn(ops);
      } catch (error) {
        snapshotWork.release(record.volumeId);
        await files.remove(record.volumeId);
        throw error;
      }
      if (!result.ok) {
        snapshotWork.release(record.volumeId);
        await files.remove(record.volumeId);
        // The same token won by a concurrent call: answer as it did.
        const made = request.clientToken && (await earlier(accountId, request.clientToken, digest));
        if (made) return { volume: await view(made) };
        throw new StorageError('InternalError', 'The volume could not be recorded; try again.');
      }
      await deps.volumeEvents.stateChanged(record, result.revision, '');
      if (snapshot) snapshotWork.restoreVolume(key);
      else lifecycle.later(() => lifecycle.markAvailable(key));
      return { volume: await view(record) };
    },

    async describeVolumes(request, { accountId }) {
      checkIdsWithoutMaxResults('VolumeIds', request.volumeIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, volumeFilters, { tags: (v) => v.tags });
      if (request.dryRun) throw dryRunOperation();
      const selected = (await selectVolumes(volumes, accountId, request.volumeIds)).filter(matches);
      const page = pageOf(selected, (v) => v.volumeId, { nextToken: request.nextToken, pageSize });
      return { volumes: await Promise.all(page.items.map(view)), nextToken: page.nextToken };
    },

    async deleteVolume(request, { accountId }) {
      const first = await getVolume(volumes, accountId, request.volumeId);
      if (request.dryRun) {
        if (!deletable(first.value)) throw notDeletable(first.value);
        throw dryRunOperation();
      }
      for (;;) {
        const record = await volumes.get(storageKeys.volume(accountId, request.volumeId));
        if (!record) throw volumeNotFound(request.volumeId);
        if (!deletable(record.value)) throw notDeletable(record.value);
        const deleting = { ...record.value, state: 'deleting' as const };
        const written = await deps.store.update(record.key, JSON.stringify(deleting), record.revision);
        if (written.ok) {
          await deps.volumeEvents.stateChanged(deleting, written.revision, record.value.state);
          break;
        }
      }
      await lifecycle.finishDeletion(accountId, request.volumeId);
      return {};
    },

    async describeVolumeStatus(request, { accountId }) {
      checkIdsWithoutMaxResults('VolumeIds', request.volumeIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, statusFilters);
      if (request.dryRun) throw dryRunOperation();
      const selected = (await selectVolumes(volumes, accountId, request.volumeIds)).filter(matches);
      const page = pageOf(selected, (v) => v.volumeId, { nextToken: request.nextToken, pageSize });
      return {
        // Nimbus: a volume's bytes are a local file, so its I/O is enabled while it exists.
        volumeStatuses: page.items.map((v) => ({
          volumeId: v.volumeId,
          availabilityZone: v.availabilityZone,
          volumeStatus: {
            status: 'ok',
            details: [
              { name: 'io-enabled', status: 'passed' },
              { name: 'io-performance', status: 'not-applicable' },
            ],
          },
        })),
        nextToken: page.nextToken,
      };
    },
  };
}

/** EC2 deletes a volume that is available, or one that failed (`error`), never one in use or changing. */
function deletable(volume: VolumeRecord): boolean {
  return volume.state === 'available' || volume.state === 'error';
}

function notDeletable(volume: VolumeRecord): StorageError {
  if (volume.state === 'in-use' || volume.attachments.length > 0) {
    const instances = volume.attachments.map((a) => a.instanceId).join(', ');
    return new StorageError(
      StorageErrorCode.VolumeInUse,
      `Volume ${volume.volumeId} is currently attached to ${instances}`,
    );
  }
  return new StorageError(
    StorageErrorCode.IncorrectState,
    `The volume '${volume.volumeId}' is '${volume.state}' and cannot be deleted; it must be 'available' or 'error'.`,
  );
}
