/**
 * The background work behind the snapshot actions, on the chunk store under
 * `<storage root>/chunks`: taking a snapshot (pending -> completed or error,
 * with its progress written to the record as it goes), copying one, filling a
 * volume made from a snapshot (creating -> available or error), and freeing a
 * deleted snapshot's blocks.
 *
 * Crash safety. The chunk store writes a snapshot's blocks first and its
 * manifest last, and a record turns completed only after its manifest exists,
 * so a completed snapshot never lacks blocks. At each start `sweep` settles
 * what a stopped process left:
 * - a pending snapshot whose manifest exists (the process died between the
 *   manifest and the record) is completed: the manifest proves every block;
 * - a pending snapshot without a manifest is marked `error`, not restarted:
 *   the volume may have been written since the snapshot's start time, so a
 *   restart would store another point in time under the same id. The caller
 *   takes a new snapshot; its blocks left behind are garbage, collected here;
 * - a manifest without a record (DeleteSnapshot removes the record first) is
 *   deleted, freeing the blocks only it used;
 * - an import task still active is completed if its manifest exists, else its
 *   image is read again (the file is the source, unlike a volume it does not
 *   move on while the service is down);
 * - a volume still creating from a snapshot is restored again (restores are
 *   written beside the file and renamed over it, so they repeat safely).
 * Work this process runs is `claim`ed before its record is written, so a sweep
 * running beside new calls leaves it alone.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '@nimbus/events';
import type { ServiceContext } from '@nimbus/runtime';
import { createRecords, type Records } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import {
  type ChunkStore,
  progressPercent,
  type SnapshotManifest,
  SnapshotNotFoundError,
} from '../chunk-store/index.js';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import type { ImportSnapshotTaskRecord } from './import-task-records.js';
import { publishSnapshotCompleted } from './snapshot-events.js';
import { createSnapshotImports } from './snapshot-import.js';
import type { SnapshotRecord } from './snapshot-records.js';
import { snapshotSizes } from './snapshot-sizes.js';
import { storageKeys } from './storage-keys.js';
import { noVolumeEvents, type VolumeEvents } from './volume-events.js';
import type { VolumeRecord } from './volume-records.js';

export { snapshotCompletedSubject } from './snapshot-events.js';

export interface SnapshotLifecycle {
  /** Marks a snapshot or volume id as this process's work before its record is written. */
  claim(id: string): void;
  /** Undoes a claim whose record was never written. */
  release(id: string): void;
  /** Reads the volume file into the chunk store, in the background, then completes the record. */
  take(key: string, volumePath: string): void;
  /** Makes the snapshot at `key` share the blocks of `sourceSnapshotId`, in the background. */
  copy(key: string, sourceSnapshotId: string): void;
  /** Reads an import task's disk image into the chunk store, in the background, then completes the task. */
  importImage(taskKey: string, snapshotId: string): void;
  /** Writes a creating volume's snapshot into its file, in the background, then marks it available. */
  restoreVolume(key: string): void;
  /** Frees the blocks of a snapshot whose record is gone that no other snapshot uses. */
  freeBlocks(snapshotId: string): Promise<void>;
  sweep(): Promise<void>;
  /** Stops the work in flight (its snapshots turn `error`) and waits for it. */
  close(): Promise<void>;
}

export interface SnapshotLifecycleDeps {
  store: Store;
  bus: EventBus;
  logger: ServiceContext['logger'];
  chunks: ChunkStore;
  files: VolumeFiles;
  /** Scratch space for copies. */
  storageRoot: string;
  now: () => number;
  /** Volumes made from snapshots change state here (creating -> available or error). */
  volumeEvents?: VolumeEvents;
}

export function createSnapshotLifecycle(deps: SnapshotLifecycleDeps): SnapshotLifecycle {
  const { chunks, files, bus, logger } = deps;
  const volumeEvents = deps.volumeEvents ?? noVolumeEvents;
  const snapshots = createRecords<SnapshotRecord>(deps.store);
  const volumes = createRecords<VolumeRecord>(deps.store);
  const claimed = new Set<string>();
  const imports = createSnapshotImports(deps);
  const importTasks = createRecords<ImportSnapshotTaskRecord>(deps.store);
  const running = new Set<Promise<void>>();
  const stop = new AbortController();

  const background = (id: string, work: () => Promise<void>) => {
    claimed.add(id);
    const promise = work()
      .catch((error: unknown) => logger.warn({ err: error, id }, 'snapshot work failed'))
      .finally(() => {
        claimed.delete(id);
        running.delete(promise);
      });
    running.add(promise);
  };

  /** The manifest of the latest completed snapshot of the volume before `record`, if any. */
  const previousManifest = async (record: SnapshotRecord): Promise<SnapshotManifest | undefined> => {
    const earlier = (await snapshots.list(storageKeys.snapshots(record.ownerId)))
      .map((r) => r.value)
      .filter(
        (s) =>
          s.volumeId === record.volumeId &&
          s.state === 'completed' &&
          s.snapshotId !== record.snapshotId &&
          s.sourceSnapshotId === undefined &&
          s.importTaskId === undefined &&
          s.startTime <= record.startTime,
      )
      .sort((a, b) => a.startTime.localeCompare(b.startTime));
    for (const candidate of earlier.reverse()) {
      try {
        return await chunks.getManifest(candidate.snapshotId);
      } catch (error) {
        if (!(error instanceof SnapshotNotFoundError)) throw error;
      }
    }
    return undefined;
  };

  const complete = async (key: string, manifest: SnapshotManifest, shared: boolean) => {
    const record = await snapshots.get(key);
    if (record?.value.state !== 'pending') return;
    const sizes = snapshotSizes(manifest, shared ? manifest : await previousManifest(record.value));
    const done = await update(snapshots, key, (s) =>
      s.state === 'pending'
        ? {
            ...s,
            ...sizes,
            state: 'completed' as const,
            progress: '100%',
            completionTime: new Date(deps.now()).toISOString(),
          }
        : undefined,
    );
    if (done) await publishSnapshotCompleted(bus, logger, done.value, done.revision);
  };

  const fail = (key: string, message: string) =>
    update(snapshots, key, (s) =>
      s.state === 'pending' ? { ...s, state: 'error' as const, stateMessage: message } : undefined,
    );

  /** Writes the progress string when it changes, one write at a time; the last one is awaited before completion. */
  const progressWriter = (key: string) => {
    let shown = '0%';
    let writing: Promise<unknown> | undefined;
    return {
      listener: (blocks: { blocksDone: number; blocksTotal: number }) => {
        const percent = progressPercent(blocks);
        // "100%" is written with `completed`, never while pending.
        if (percent === shown || percent === '100%' || writing) return;
        shown = percent;
        writing = update(snapshots, key, (s) =>
          s.state === 'pending' ? { ...s, progress: percent } : undefined,
        )
          .catch(() => undefined)
          .finally(() => {
            writing = undefined;
          });
      },
      settled: () => writing ?? Promise.resolve(),
    };
  };

  const runSnapshot = async (
    key: string,
    work: (onProgress: ReturnType<typeof progressWriter>['listener']) => Promise<SnapshotManifest>,
    shared: boolean,
  ) => {
    const progress = progressWriter(key);
    try {
      const manifest = await work(progress.listener);
      await progress.settled();
      await complete(key, manifest, shared);
    } catch (error) {
      await progress.settled();
      const message = stop.signal.aborted
        ? 'The service stopped before the snapshot completed.'
        : `The snapshot could not be taken: ${(error as Error).message}`;
      await fail(key, message);
      if (!stop.signal.aborted) throw error;
    }
  };

  const lifecycle: SnapshotLifecycle = {
    claim: (id) => claimed.add(id),
    release: (id) => claimed.delete(id),

    take(key, volumePath) {
      const snapshotId = idOf(key);
      background(snapshotId, () =>
        runSnapshot(
          key,
          async (onProgress) =>
            (await chunks.createSnapshot({ snapshotId, volumePath, onProgress, signal: stop.signal }))
              .manifest,
          false,
        ),
      );
    },

    copy(key, sourceSnapshotId) {
      const snapshotId = idOf(key);
      // Through a restored scratch file: the chunk store's public API makes manifests only from
      // volume files. Every block is already stored, so the copy stores nothing new.
      const scratch = join(deps.storageRoot, 'snapshot-copies', `${snapshotId}.img`);
      background(snapshotId, () =>
        runSnapshot(
          key,
          async (onProgress) => {
            await mkdir(join(deps.storageRoot, 'snapshot-copies'), { recursive: true });
            try {
              await chunks.restoreSnapshot({
                snapshotId: sourceSnapshotId,
                volumePath: scratch,
                signal: stop.signal,
              });
              return (
                await chunks.createSnapshot({
                  snapshotId,
                  volumePath: scratch,
                  onProgress,
                  signal: stop.signal,
                })
              ).manifest;
            } finally {
              await rm(scratch, { force: true });
            }
          },
          true,
        ),
      );
    },

    importImage(taskKey, snapshotId) {
      background(snapshotId, () => imports.run(taskKey, stop.signal));
    },

    restoreVolume(key) {
      const volumeId = idOf(key);
      background(volumeId, async () => {
        const volume = await volumes.get(key);
        if (volume?.value.state !== 'creating' || volume.value.snapshotId === '') return;
        try {
          await chunks.restoreSnapshot({
            snapshotId: volume.value.snapshotId,
            volumePath: files.pathOf(volumeId),
            signal: stop.signal,
          });
          await files.grow(volumeId, volume.value.size);
        } catch (error) {
          // Stopped: the next start restores again. Failed: the volume has no trustworthy bytes.
          if (stop.signal.aborted) return;
          const failed = await update(volumes, key, (v) =>
            v.state === 'creating' ? { ...v, state: 'error' as const } : undefined,
          );
          if (failed) await volumeEvents.stateChanged(failed.value, failed.revision, 'creating');
          throw error;
        }
        const done = await update(volumes, key, (v) =>
          v.state === 'creating' ? { ...v, state: 'available' as const } : undefined,
        );
        if (done) await volumeEvents.stateChanged(done.value, done.revision, 'creating');
      });
    },

    async freeBlocks(snapshotId) {
      try {
        await chunks.deleteSnapshot(snapshotId);
      } catch (error) {
        // A snapshot that failed has no manifest, and nothing to free.
        if (!(error instanceof SnapshotNotFoundError)) throw error;
      }
    },

    async sweep() {
      // Imports first: one whose manifest exists gets its snapshot record before manifests are matched to records.
      for (const { key, value } of await importTasks.list(storageKeys.allImportTasks())) {
        if (value.status !== 'active' || claimed.has(value.snapshotId)) continue;
        if (await imports.settle(key)) lifecycle.importImage(key, value.snapshotId);
      }
      // Manifests first: one listed here was written after its record, so the records below include it.
      const manifests = new Set(await chunks.listSnapshots());
      const records = await snapshots.list(storageKeys.allSnapshots());
      const known = new Set(records.map((r) => r.value.snapshotId));
      for (const { key, value } of records) {
        if (value.state !== 'pending' || claimed.has(value.snapshotId)) continue;
        if (manifests.has(value.snapshotId)) {
          await complete(
            key,
            await chunks.getManifest(value.snapshotId),
            value.sourceSnapshotId !== undefined,
          );
        } else {
          await fail(key, 'The service stopped before the snapshot completed; take a new snapshot.');
        }
      }
      for (const snapshotId of manifests) {
        if (!known.has(snapshotId) && !claimed.has(snapshotId)) await lifecycle.freeBlocks(snapshotId);
      }
      await chunks.collectGarbage();
      for (const { key, value } of await volumes.list(storageKeys.allVolumes())) {
        if (value.state === 'creating' && value.snapshotId !== '' && !claimed.has(value.volumeId)) {
          lifecycle.restoreVolume(key);
        }
      }
    },

    async close() {
      stop.abort();
      await Promise.all([...running]);
    },
  };
  return lifecycle;
}

function idOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Re-reads and applies `change` until it holds (the record written) or no longer applies (undefined). */
async function update<T>(
  records: Records<T>,
  key: string,
  change: (value: T) => T | undefined,
): Promise<{ value: T; revision: number } | undefined> {
  for (;;) {
    const record = await records.get(key);
    const next = record && change(record.value);
    if (!record || !next) return undefined;
    if (await records.update(record, next)) {
      const written = await records.get(key);
      return { value: next, revision: written?.revision ?? record.revision };
    }
  }
}
