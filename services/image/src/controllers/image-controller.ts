/**
 * The image controller: drives each image record toward what it says.
 *
 * - pending with copy work (CopyImage): copies each source snapshot through
 *   block storage, acting for the new image's owner, tagging each copy with
 *   `nimbus:image-copy` = `<ami-id>:<source snap-id>` so that a copy made just
 *   before a crash is found again instead of made twice; once all are
 *   completed the image turns available with the copies in its mappings; if
 *   one fails, the image turns failed and its copies are deleted.
 * - snapshots to delete (DeregisterImage with DeleteAssociatedSnapshots, a
 *   failed or abandoned copy): deletes them, skipping any that another image
 *   still uses, and retries those block storage cannot delete yet.
 * - deregistered: removed once the retention period has passed.
 *
 * Keys are image keys; reconcile re-reads the record and is safe to run twice.
 */
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { Controller, Informer, type ReconcileResult } from '@nimbus/controller';
import type { EventBus } from '@nimbus/events';
import { type Client, isRemoteError } from '@nimbus/runtime';
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import type { Logger } from 'pino';
import { publishImageStateChanged } from '../api/image-events.js';
import { snapshotsOf } from '../domain/block-device-mappings.js';
import { imageKeys } from '../state/image-keys.js';
import type { ImageRecord } from '../state/image-records.js';
import { deleteSnapshot, snapshotsInUse } from '../state/snapshot-deletions.js';

export const copyTagKey = 'nimbus:image-copy';

export interface ImageControllerOptions {
  store: Store;
  bus: EventBus;
  storage: Client<typeof BlockStorageService>;
  logger: Logger;
  now: () => number;
  /** How long a deregistered image stays, ms. */
  deregisteredRetentionMs: number;
  /** How often a copy in progress is looked at again, ms. Default 500. */
  pollMs?: number;
}

export function createImageController(options: ImageControllerOptions): Controller {
  const { store, bus, storage, logger, now } = options;
  const pollMs = options.pollMs ?? 500;
  const images = createRecords<ImageRecord>(store);

  /** Writes a changed record; false when it changed meanwhile (the controller then looks again). */
  const write = async (record: Stored<ImageRecord>, next: ImageRecord) => {
    if (!(await images.update(record, next))) return false;
    if (next.state !== record.value.state) {
      const fresh = await images.get(record.key);
      await publishImageStateChanged(bus, logger, next, record.value.state, fresh?.revision ?? 0);
    }
    return true;
  };

  const copiesTaggedFor = async (image: ImageRecord) => {
    const { snapshots } = await storage.describeSnapshots(
      { filters: [{ name: `tag:${copyTagKey}`, values: [`${image.imageId}:*`] }] },
      { accountId: image.ownerId },
    );
    return snapshots;
  };

  const fail = (record: Stored<ImageRecord>, code: string, message: string, copies: string[]) => {
    const next: ImageRecord = {
      ...record.value,
      state: 'failed',
      stateReason: { code, message },
      snapshotsToDelete: [...new Set([...(record.value.snapshotsToDelete ?? []), ...copies])],
    };
    delete next.copy;
    return write(record, next);
  };

  const copyStep = async (record: Stored<ImageRecord>): Promise<ReconcileResult | undefined> => {
    const image = record.value;
    const work = image.copy;
    if (!work) return undefined;
    const tagged = await copiesTaggedFor(image);
    const made = work.snapshots.flatMap((s) => (s.snapshotId ? [s.snapshotId] : []));
    const found = (source: string) =>
      tagged.find((t) =>
        t.tags.some((tag) => tag.key === copyTagKey && tag.value === `${image.imageId}:${source}`),
      );
    for (const [index, entry] of work.snapshots.entries()) {
      if (entry.snapshotId) continue;
      let snapshotId = found(entry.sourceSnapshotId)?.snapshotId;
      if (!snapshotId) {
        try {
          ({ snapshotId } = await storage.copySnapshot(
            {
              sourceSnapshotId: entry.sourceSnapshotId,
              description: `Copied for ${image.imageId} from ${work.sourceImageId}`,
              tagSpecifications: [
                {
                  resourceType: 'snapshot',
                  tags: [{ key: copyTagKey, value: `${image.imageId}:${entry.sourceSnapshotId}` }],
                },
              ],
            },
            { accountId: image.ownerId },
          ));
        } catch (error) {
          if (isRemoteError(error) && (error.code.startsWith('Invalid') || error.code === 'IncorrectState')) {
            await fail(
              record,
              'Client.CopyFailed',
              `Block storage did not copy ${entry.sourceSnapshotId} of account ${work.sourceOwnerId}: ${error.message}`,
              made,
            );
            return undefined;
          }
          throw error;
        }
      }
      const snapshots = work.snapshots.map((s, i) => (i === index ? { ...s, snapshotId } : s));
      // One snapshot per write: the record always names every copy made so far.
      await write(record, { ...image, copy: { ...work, snapshots } });
      return { requeueAfterMs: 0 };
    }
    const { snapshots } = await storage.describeSnapshots(
      { snapshotIds: made },
      { accountId: image.ownerId },
    );
    const failed = snapshots.find((s) => s.state === 'error');
    if (failed) {
      await fail(
        record,
        'Server.InternalError',
        `The copy ${failed.snapshotId} failed: ${failed.stateMessage}`,
        made,
      );
      return undefined;
    }
    if (snapshots.length < made.length || snapshots.some((s) => s.state !== 'completed')) {
      return { requeueAfterMs: pollMs };
    }
    const copyOf = new Map(work.snapshots.map((s) => [s.sourceSnapshotId, s.snapshotId ?? '']));
    const blockDeviceMappings = image.blockDeviceMappings.map((m) =>
      m.ebs?.snapshotId ? { ...m, ebs: { ...m.ebs, snapshotId: copyOf.get(m.ebs.snapshotId) ?? '' } } : m,
    );
    const next: ImageRecord = { ...image, state: 'available', blockDeviceMappings };
    delete next.copy;
    await write(record, next);
    return undefined;
  };

  /**
   * What the image leaves to delete: the snapshots it was told to, and for a
   * dead image (deregistered, failed) any copy tagged for it that its
   * mappings do not use (a copy that was in flight when it died).
   */
  const leftToDelete = async (image: ImageRecord): Promise<string[]> => {
    const owned = new Set(image.snapshotsToDelete ?? []);
    if (image.state === 'deregistered' || image.state === 'failed') {
      const used = new Set(snapshotsOf(image.blockDeviceMappings));
      for (const s of await copiesTaggedFor(image)) if (!used.has(s.snapshotId)) owned.add(s.snapshotId);
    }
    return [...owned];
  };

  const reconcile = async (key: string): Promise<ReconcileResult | undefined> => {
    const record = await images.get(key);
    if (!record) return undefined;
    const image = record.value;
    if (image.state === 'pending' && image.copy) return copyStep(record);
    const toDelete = await leftToDelete(image);
    if (toDelete.length > 0) {
      const inUse = await snapshotsInUse(images, image.imageId);
      const left: string[] = [];
      for (const snapshotId of toDelete) {
        if ((await deleteSnapshot(storage, image.ownerId, snapshotId, inUse)) === 'retry')
          left.push(snapshotId);
      }
      const next: ImageRecord = { ...image, snapshotsToDelete: left };
      if (left.length === 0) delete next.snapshotsToDelete;
      await write(record, next);
      return { requeueAfterMs: left.length > 0 ? pollMs * 4 : 0 };
    }
    if (image.state === 'deregistered') {
      const age = now() - Date.parse(image.deregisteredAt ?? new Date(0).toISOString());
      if (age < options.deregisteredRetentionMs)
        return { requeueAfterMs: options.deregisteredRetentionMs - age };
      await images.delete(record);
    }
    return undefined;
  };

  const informer = new Informer({ store, prefix: imageKeys.images(), logger });
  return new Controller({ name: 'image-controller', reconcile, logger, concurrency: 2 }).watches(informer);
}
