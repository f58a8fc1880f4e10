/**
 * The work behind an import snapshot task: the disk image file is read into
 * the chunk store under the snapshot id the task reserved (blocks first,
 * manifest last, as CreateSnapshot), then one transaction writes the completed
 * snapshot record and marks the task completed. Until that transaction there
 * is no snapshot record, so a failed import leaves nothing a caller sees but
 * the task, `deleted` with its reason; its stored blocks are garbage for the
 * chunk store's next collection.
 *
 * After a stop, `settle` finishes a task whose manifest was written, and
 * reports the others for a fresh run: the image file is the source, so
 * reading it again gives what was asked.
 */
import { stat } from 'node:fs/promises';
import type { EventBus } from '@nimbus/events';
import type { ServiceContext } from '@nimbus/runtime';
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import {
  type ChunkStore,
  progressPercent,
  type SnapshotManifest,
  SnapshotNotFoundError,
} from '../chunk-store/index.js';
import { type ImportSnapshotTaskRecord, noVolumeId } from './import-task-records.js';
import { publishSnapshotCompleted } from './snapshot-events.js';
import type { SnapshotRecord } from './snapshot-records.js';
import { snapshotSizes } from './snapshot-sizes.js';
import { storageKeys } from './storage-keys.js';

const GiB = 1024 ** 3;

export interface SnapshotImportDeps {
  store: Store;
  bus: EventBus;
  logger: ServiceContext['logger'];
  chunks: ChunkStore;
  now: () => number;
}

export interface SnapshotImports {
  /** Reads the task's image into the chunk store and completes it, or marks it deleted with the reason. */
  run(key: string, signal: AbortSignal): Promise<void>;
  /** For a task found active at start: completes it if its manifest exists; true if it must run again. */
  settle(key: string): Promise<boolean>;
}

/** The image is not what the import was asked with any more. */
class ImageChangedError extends Error {
  override name = 'ImageChangedError';
}

/** Errors that come from the image itself (gone, unreadable, shrunk while read) rather than from Nimbus. */
function isClientError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof ImageChangedError) return true;
  if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'EPERM') return true;
  return /ended at \d+ while being snapshotted/.test((error as Error).message ?? '');
}

export function createSnapshotImports(deps: SnapshotImportDeps): SnapshotImports {
  const tasks = createRecords<ImportSnapshotTaskRecord>(deps.store);
  const snapshots = createRecords<SnapshotRecord>(deps.store);

  /** Re-reads and applies `change` to an active task until it holds or the task is no longer active. */
  const updateActive = async (
    key: string,
    change: (t: ImportSnapshotTaskRecord) => ImportSnapshotTaskRecord,
  ): Promise<void> => {
    for (;;) {
      const task = await tasks.get(key);
      if (task?.value.status !== 'active') return;
      if (await tasks.update(task, change(task.value))) return;
    }
  };

  const finish = async (task: Stored<ImportSnapshotTaskRecord>, manifest: SnapshotManifest) => {
    const t = task.value;
    const snapshotKey = storageKeys.snapshot(t.ownerId, t.snapshotId);
    const now = new Date(deps.now()).toISOString();
    const snapshot: SnapshotRecord = {
      snapshotId: t.snapshotId,
      ownerId: t.ownerId,
      volumeId: noVolumeId,
      volumeSize: Math.max(1, Math.ceil(manifest.volumeSize / GiB)),
      state: 'completed',
      progress: '100%',
      startTime: t.startTime,
      completionTime: now,
      description: t.description || `Imported by ${t.importTaskId} from ${t.url}`,
      encrypted: t.encrypted,
      tags: [],
      // An image has no earlier snapshot: every block it holds is its own.
      ...snapshotSizes(manifest, undefined),
      stateMessage: '',
      importTaskId: t.importTaskId,
    };
    const done: ImportSnapshotTaskRecord = { ...t, status: 'completed', statusMessage: '', progress: '' };
    const result = await deps.store.txn([
      { type: 'update', key: task.key, value: JSON.stringify(done), expectedRevision: task.revision },
      { type: 'create', key: snapshotKey, value: JSON.stringify(snapshot) },
    ]);
    if (!result.ok) return false;
    const written = await snapshots.get(snapshotKey);
    await publishSnapshotCompleted(deps.bus, deps.logger, snapshot, written?.revision ?? 0);
    return true;
  };

  /** Completes the task with its manifest, retrying on a concurrent progress write. */
  const complete = async (key: string, manifest: SnapshotManifest) => {
    for (;;) {
      const task = await tasks.get(key);
      if (task?.value.status !== 'active') return;
      if (await finish(task, manifest)) return;
    }
  };

  return {
    async run(key, signal) {
      const task = await tasks.get(key);
      if (task?.value.status !== 'active') return;
      const { snapshotId, path } = task.value;
      let shown = '0';
      let writing: Promise<void> | undefined;
      const onProgress = (blocks: { blocksDone: number; blocksTotal: number }) => {
        const percent = progressPercent(blocks).replace('%', '');
        if (percent === shown || percent === '100' || writing) return;
        shown = percent;
        writing = updateActive(key, (t) => ({ ...t, statusMessage: 'converting', progress: percent }))
          .catch(() => undefined)
          .finally(() => {
            writing = undefined;
          });
      };
      try {
        await updateActive(key, (t) => ({ ...t, statusMessage: 'converting' }));
        const info = await stat(path);
        if (!info.isFile()) throw new ImageChangedError(`${path} is no longer a regular file`);
        if (info.size !== task.value.diskImageSize) {
          throw new ImageChangedError(
            `it is ${info.size} bytes now, ${task.value.diskImageSize} when the import started`,
          );
        }
        const { manifest } = await deps.chunks.createSnapshot({
          snapshotId,
          volumePath: path,
          onProgress,
          signal,
        });
        await writing;
        await complete(key, manifest);
      } catch (error) {
        await writing;
        // Stopped: the task stays active and the next start runs it again.
        if (signal.aborted) return;
        const reason = (error as Error).message;
        await updateActive(key, (t) => ({
          ...t,
          status: 'deleted',
          progress: '',
          statusMessage: isClientError(error)
            ? `ClientError: The disk image ${t.url} could not be read: ${reason}`
            : `ServerError: The import failed: ${reason}`,
        }));
        deps.logger.warn({ err: error, importTaskId: task.value.importTaskId }, 'snapshot import failed');
      }
    },

    async settle(key) {
      const task = await tasks.get(key);
      if (task?.value.status !== 'active') return false;
      try {
        await complete(key, await deps.chunks.getManifest(task.value.snapshotId));
        return false;
      } catch (error) {
        if (error instanceof SnapshotNotFoundError) return true;
        throw error;
      }
    },
  };
}
