/**
 * CreateSnapshot, DescribeSnapshots, DeleteSnapshot, CopySnapshot. A snapshot
 * is its record under /nimbus/storage/snapshots/<account>/ and its manifest
 * and blocks in the chunk store; the calls write the record and hand the
 * bytes to the snapshot lifecycle (state/snapshot-lifecycle.ts), which moves
 * it pending -> completed or error in the background, as EC2 answers
 * `pending` first.
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
  type Stored,
  type StoredTag,
  tagsFor,
  toTags,
} from '@nimbus/service-kit';
import type { TxnOp } from '@nimbus/store';
import { IdPrefix, newId } from '../domain/ids.js';
import {
  invalidParameterValue,
  missingParameter,
  StorageError,
  StorageErrorCode,
} from '../domain/storage-errors.js';
import type { SnapshotLifecycle } from '../state/snapshot-lifecycle.js';
import { getSnapshot, requireSnapshotId, snapshotNotFound } from '../state/snapshot-lookups.js';
import type { SnapshotRecord, SnapshotStartRecord } from '../state/snapshot-records.js';
import { storageKeys } from '../state/storage-keys.js';
import { getVolume } from '../state/volume-lookups.js';
import type { VolumeRecord } from '../state/volume-records.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import type { ApiDeps } from './api-deps.js';
import { snapshotView } from './snapshot-views.js';

type SnapshotApi = Pick<
  ServiceImpl<typeof BlockStorageService>,
  'createSnapshot' | 'describeSnapshots' | 'deleteSnapshot' | 'copySnapshot'
>;

/** EC2's minimum time between two snapshots of one volume. */
export const snapshotIntervalMs = 15_000;

/**
 * What else holds on to a snapshot. Images (RegisterImage) will answer here, so
 * that DeleteSnapshot refuses a snapshot behind a registered image with
 * `InvalidSnapshot.InUse`; until then nothing does.
 */
export interface SnapshotUsers {
  /** The id of an image using the snapshot, if any. */
  imageUsing(accountId: string, snapshotId: string): Promise<string | undefined>;
}

const noSnapshotUsers: SnapshotUsers = { imageUsing: async () => undefined };

const snapshotFilters: FilterFields<SnapshotRecord> = {
  'snapshot-id': (s) => s.snapshotId,
  'volume-id': (s) => s.volumeId,
  'volume-size': (s) => s.volumeSize,
  status: (s) => s.state,
  progress: (s) => s.progress,
  'start-time': (s) => s.startTime,
  'owner-id': (s) => s.ownerId,
  description: (s) => s.description,
  encrypted: (s) => s.encrypted,
};

export function createSnapshotApi(
  deps: ApiDeps,
  files: VolumeFiles,
  work: SnapshotLifecycle,
  users: SnapshotUsers = noSnapshotUsers,
): SnapshotApi {
  const snapshots = createRecords<SnapshotRecord>(deps.store);
  const volumes = createRecords<VolumeRecord>(deps.store);

  const actions = createSnapshotActions(deps, files, work, users);

  return {
    async createSnapshot(request, { accountId }) {
      const tags = tagsFor('snapshot', request.tagSpecifications);
      if (request.description.length > 255) {
        throw invalidParameterValue('The description must be at most 255 characters.');
      }
      const first = await getVolume(volumes, accountId, request.volumeId);
      if (request.dryRun) throw dryRunOperation();
      const record = await actions.start(accountId, first, { description: request.description, tags });
      return { snapshot: snapshotView(record) };
    },

    async describeSnapshots(request, { accountId }) {
      checkIdsWithoutMaxResults('SnapshotIds', request.snapshotIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, snapshotFilters, { tags: (s) => s.tags });
      for (const id of request.snapshotIds) requireSnapshotId(id);
      if (request.dryRun) throw dryRunOperation();
      const all = (await snapshots.list(storageKeys.snapshots(accountId))).map((r) => r.value);
      for (const id of request.snapshotIds) {
        if (!all.some((s) => s.snapshotId === id)) throw snapshotNotFound(id);
      }
      // Nimbus: snapshots are not shared between accounts yet, so a caller sees only its own.
      const owners = request.ownerIds.map((o) => (o === 'self' ? accountId : o));
      const selected = all.filter(
        (s) =>
          (request.snapshotIds.length === 0 || request.snapshotIds.includes(s.snapshotId)) &&
          (owners.length === 0 || owners.includes(s.ownerId)) &&
          matches(s),
      );
      const page = pageOf(selected, (s) => s.snapshotId, { nextToken: request.nextToken, pageSize });
      return { snapshots: page.items.map(snapshotView), nextToken: page.nextToken };
    },

    async deleteSnapshot(request, { accountId }) {
      await actions.delete(accountId, request.snapshotId, request.dryRun);
      return {};
    },

    async copySnapshot(request, { accountId }) {
      if (request.sourceSnapshotId === '') throw missingParameter('SourceSnapshotId');
      if (request.sourceRegion !== '' && request.sourceRegion !== deps.config.region) {
        throw invalidParameterValue(
          `Nimbus copies snapshots within its region only: SourceRegion must be '${deps.config.region}'.`,
        );
      }
      const tags = tagsFor('snapshot', request.tagSpecifications);
      const source = await getSnapshot(snapshots, accountId, request.sourceSnapshotId, 'SourceSnapshotId');
      if (source.value.state !== 'completed') {
        throw new StorageError(
          StorageErrorCode.IncorrectState,
          `Snapshot is in invalid state - ${source.value.state}`,
        );
      }
      if (request.dryRun) throw dryRunOperation();
      const snapshotId = newId(IdPrefix.snapshot);
      const record: SnapshotRecord = {
        ...source.value,
        snapshotId,
        state: 'pending',
        progress: '0%',
        startTime: new Date(deps.now()).toISOString(),
        description:
          request.description ||
          `[Copied ${source.value.snapshotId} from ${deps.config.region}] ${source.value.description}`.trim(),
        tags,
        fullSnapshotSizeInBytes: 0,
        incrementalSizeInBytes: 0,
        stateMessage: '',
        sourceSnapshotId: source.value.snapshotId,
      };
      delete record.completionTime;
      const key = storageKeys.snapshot(accountId, snapshotId);
      work.claim(snapshotId);
      if (!(await snapshots.create(key, record))) {
        work.release(snapshotId);
        throw new StorageError('InternalError', 'The snapshot could not be recorded; try again.');
      }
      work.copy(key, source.value.snapshotId);
      return { snapshotId, tags: toTags(tags) };
    },
  };
}

export interface StartSnapshotOptions {
  description: string;
  tags: StoredTag[];
  /** The id to give it (default: a new one). A snapshot of that id already recorded is answered as it is: a lifecycle run that recorded its ids first takes each once. */
  snapshotId?: string;
}

/** Starting and deleting snapshots, for the API and the lifecycle-policy controller alike. */
export interface SnapshotActions {
  /** Records a pending snapshot of the volume (the 15-second rule applies) and starts reading its blocks. */
  start(
    accountId: string,
    volume: Stored<VolumeRecord>,
    options: StartSnapshotOptions,
  ): Promise<SnapshotRecord>;
  /** Deletes a settled snapshot that no image uses, then frees the blocks only it held. */
  delete(accountId: string, snapshotId: string, dryRun?: boolean): Promise<void>;
}

export function createSnapshotActions(
  deps: ApiDeps,
  files: VolumeFiles,
  work: SnapshotLifecycle,
  users: SnapshotUsers = noSnapshotUsers,
): SnapshotActions {
  const snapshots = createRecords<SnapshotRecord>(deps.store);
  const starts = createRecords<SnapshotStartRecord>(deps.store);
  const volumes = createRecords<VolumeRecord>(deps.store);

  const rateExceeded = () =>
    new StorageError(
      StorageErrorCode.SnapshotCreationPerVolumeRateExceeded,
      'The maximum per volume CreateSnapshot request rate has been exceeded. Use an increasing or variable sleep interval between requests.',
    );

  return {
    async start(accountId, first, options) {
      const snapshotId = options.snapshotId ?? newId(IdPrefix.snapshot);
      const key = storageKeys.snapshot(accountId, snapshotId);
      if (options.snapshotId) {
        const existing = await snapshots.get(key);
        if (existing) return existing.value;
      }
      work.claim(snapshotId);
      try {
        // The volume, the 15-second rule and the new record in one transaction: of two concurrent calls one wins.
        for (let attempt = 0; ; attempt++) {
          const volume = attempt === 0 ? first : await getVolume(volumes, accountId, first.value.volumeId);
          if (volume.value.state !== 'available' && volume.value.state !== 'in-use') {
            throw new StorageError(
              StorageErrorCode.IncorrectState,
              `The volume '${volume.value.volumeId}' is '${volume.value.state}'; a snapshot needs it 'available' or 'in-use'.`,
            );
          }
          const now = deps.now();
          const startKey = storageKeys.snapshotStart(accountId, volume.value.volumeId);
          const start = await starts.get(startKey);
          if (start && now - start.value.lastStartMs < snapshotIntervalMs) throw rateExceeded();
          const record: SnapshotRecord = {
            snapshotId,
            ownerId: accountId,
            volumeId: volume.value.volumeId,
            volumeSize: volume.value.size,
            state: 'pending',
            progress: '0%',
            startTime: new Date(now).toISOString(),
            description: options.description,
            encrypted: volume.value.encrypted,
            tags: options.tags,
            fullSnapshotSizeInBytes: 0,
            incrementalSizeInBytes: 0,
            stateMessage: '',
          };
          const startValue = JSON.stringify({ lastStartMs: now } satisfies SnapshotStartRecord);
          const ops: TxnOp[] = [
            { type: 'check', key: volume.key, expectedRevision: volume.revision },
            start
              ? { type: 'update', key: startKey, value: startValue, expectedRevision: start.revision }
              : { type: 'create', key: startKey, value: startValue },
            { type: 'create', key, value: JSON.stringify(record) },
          ];
          if ((await deps.store.txn(ops)).ok) {
            work.take(key, files.pathOf(record.volumeId));
            return record;
          }
          if (options.snapshotId) {
            const existing = await snapshots.get(key);
            // Left claimed: whoever recorded it is taking it.
            if (existing) return existing.value;
          }
          if (attempt >= 5) {
            throw new StorageError('InternalError', 'The snapshot could not be recorded; try again.');
          }
        }
      } catch (error) {
        work.release(snapshotId);
        throw error;
      }
    },

    async delete(accountId, snapshotId, dryRun = false) {
      const first = await getSnapshot(snapshots, accountId, snapshotId);
      const image = await users.imageUsing(accountId, snapshotId);
      if (image) {
        throw new StorageError(
          StorageErrorCode.InvalidSnapshotInUse,
          `The snapshot ${snapshotId} is currently in use by ${image}`,
        );
      }
      const deletable = (s: Stored<SnapshotRecord>) => {
        // Nimbus: a pending snapshot is still being written; delete it once it has settled.
        if (s.value.state === 'pending') {
          throw new StorageError(
            StorageErrorCode.IncorrectState,
            `The snapshot '${s.value.snapshotId}' is pending and cannot be deleted until it completes.`,
          );
        }
      };
      deletable(first);
      if (dryRun) throw dryRunOperation();
      for (;;) {
        const record = await snapshots.get(first.key);
        if (!record) throw snapshotNotFound(snapshotId);
        deletable(record);
        // The record first: a crash after it leaves a manifest without a record, which the start-up sweep deletes.
        if (await snapshots.delete(record)) break;
      }
      await work.freeBlocks(snapshotId);
    },
  };
}
