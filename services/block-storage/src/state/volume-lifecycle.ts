/**
 * The steps that move a volume on once its bytes are in place: creating ->
 * available, a modification optimizing -> completed, deleting -> gone. The
 * API takes each step right after its call answers (in the background, as EC2
 * answers `creating` first); `sweep` takes any step a stopped process left
 * undone, and removes volume files that no record owns, at each start.
 */

import { createRecords, type Records } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { VolumeFiles } from '../volume-files/volume-files.js';
import { storageKeys } from './storage-keys.js';
import { noVolumeEvents, type VolumeEvents } from './volume-events.js';
import type { VolumeModificationRecord, VolumeRecord } from './volume-records.js';

/** How old a file without a record must be before a sweep removes it: younger ones may be a create in flight. */
export const orphanGraceMs = 60_000;

export interface VolumeLifecycle {
  /** Runs a step in the background; `drain` waits for every one running. */
  later(step: () => Promise<void>): void;
  drain(): Promise<void>;
  markAvailable(key: string): Promise<void>;
  completeModification(key: string): Promise<void>;
  /** attaching -> attached for the volume's attachment to the instance. */
  completeAttachment(key: string, instanceId: string): Promise<void>;
  /** Removes a detaching attachment (and its device claim); the volume turns available when none is left. */
  finishDetachment(key: string, instanceId: string): Promise<void>;
  /** Removes the bytes, then the records, of a volume already marked deleting. */
  finishDeletion(accountId: string, volumeId: string): Promise<void>;
  sweep(options?: { graceMs?: number; now?: number }): Promise<void>;
}

export function createVolumeLifecycle(
  store: Store,
  files: VolumeFiles,
  events: VolumeEvents = noVolumeEvents,
): VolumeLifecycle {
  const volumes = createRecords<VolumeRecord>(store);
  const modifications = createRecords<VolumeModificationRecord>(store);
  const running = new Set<Promise<void>>();

  /** Re-reads and applies `change` until it holds (the value before and the revision written) or no longer applies. */
  async function step<T>(
    records: Records<T>,
    key: string,
    change: (value: T) => T | undefined,
  ): Promise<{ before: T; revision: number } | undefined> {
    for (;;) {
      const record = await records.get(key);
      const next = record && change(record.value);
      if (!record || !next) return undefined;
      if (await records.update(record, next)) {
        return { before: record.value, revision: (await records.get(key))?.revision ?? record.revision };
      }
    }
  }

  const lifecycle: VolumeLifecycle = {
    later(work) {
      const promise = work()
        .catch(() => {
          // The next sweep takes the step again.
        })
        .finally(() => running.delete(promise));
      running.add(promise);
    },
    async drain() {
      await Promise.all([...running]);
    },
    async markAvailable(key) {
      const done = await step(volumes, key, (v) =>
        v.state === 'creating' ? { ...v, state: 'available' as const } : undefined,
      );
      if (done) await events.stateChanged({ ...done.before, state: 'available' }, done.revision, 'creating');
    },
    completeModification: async (key) => {
      await step(modifications, key, (m) =>
        m.modificationState === 'modifying' || m.modificationState === 'optimizing'
          ? {
              ...m,
              modificationState: 'completed' as const,
              progress: 100,
              endTime: new Date().toISOString(),
            }
          : undefined,
      );
    },
    async completeAttachment(key, instanceId) {
      const done = await step(volumes, key, (v) =>
        v.attachments.some((a) => a.instanceId === instanceId && a.state === 'attaching')
          ? {
              ...v,
              attachments: v.attachments.map((a) =>
                a.instanceId === instanceId ? { ...a, state: 'attached' as const } : a,
              ),
            }
          : undefined,
      );
      const attachment = done?.before.attachments.find((a) => a.instanceId === instanceId);
      if (done && attachment) await events.attachment('attached', done.before, attachment, done.revision);
    },
    async finishDetachment(key, instanceId) {
      for (;;) {
        const record = await volumes.get(key);
        const leaving = record?.value.attachments.find(
          (a) => a.instanceId === instanceId && a.state === 'detaching',
        );
        if (!record || !leaving) return;
        const attachments = record.value.attachments.filter((a) => a !== leaving);
        const next = {
          ...record.value,
          attachments,
          state: attachments.length === 0 ? ('available' as const) : record.value.state,
        };
        const claimKey = storageKeys.deviceClaim(record.value.ownerId, instanceId, leaving.device);
        const claim = await store.get(claimKey);
        const result = await store.txn([
          { type: 'update', key, value: JSON.stringify(next), expectedRevision: record.revision },
          ...(claim && claim.value === record.value.volumeId
            ? [{ type: 'delete' as const, key: claimKey, expectedRevision: claim.modRevision }]
            : []),
        ]);
        if (!result.ok) continue;
        await events.attachment('detached', next, leaving, result.revision);
        if (next.state !== record.value.state) {
          await events.stateChanged(next, result.revision, record.value.state);
        }
        return;
      }
    },
    async finishDeletion(accountId, volumeId) {
      await files.remove(volumeId);
      const last = await volumes.get(storageKeys.volume(accountId, volumeId));
      for (const key of [
        storageKeys.modification(accountId, volumeId),
        storageKeys.volume(accountId, volumeId),
      ]) {
        for (;;) {
          const kv = await store.get(key);
          if (!kv) break;
          const deleted = await store.delete(key, kv.modRevision);
          if (!deleted.ok) continue;
          if (last && key === last.key) {
            await events.stateChanged(
              { ...last.value, state: 'deleted' },
              deleted.revision,
              last.value.state,
            );
          }
          break;
        }
      }
    },
    async sweep(options = {}) {
      const now = options.now ?? Date.now();
      const graceMs = options.graceMs ?? orphanGraceMs;
      const all = await volumes.list(storageKeys.allVolumes());
      const owned = new Set(all.map((r) => r.value.volumeId));
      for (const { key, value } of all) {
        // A volume made from a snapshot becomes available once restored: the snapshot lifecycle's sweep.
        if (value.state === 'creating' && value.snapshotId === '') await lifecycle.markAvailable(key);
        if (value.state === 'deleting') await lifecycle.finishDeletion(value.ownerId, value.volumeId);
        for (const attachment of value.attachments) {
          if (attachment.state === 'attaching')
            await lifecycle.completeAttachment(key, attachment.instanceId);
          if (attachment.state === 'detaching') await lifecycle.finishDetachment(key, attachment.instanceId);
        }
      }
      for (const { key, value } of await modifications.list(storageKeys.allModifications())) {
        if (value.modificationState !== 'completed') await lifecycle.completeModification(key);
      }
      for (const file of await files.list()) {
        if (!owned.has(file.volumeId) && now - file.mtimeMs > graceMs) await files.remove(file.volumeId);
      }
    },
  };
  return lifecycle;
}
