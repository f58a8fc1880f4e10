import type { EventBus } from '@nimbus/events';
import type { ServiceContext } from '@nimbus/runtime';
import type { SnapshotRecord } from './snapshot-records.js';

export const snapshotCompletedSubject = 'nimbus.storage.snapshot.completed';

/** `nimbus.storage.snapshot.completed`, best effort: the record is the truth, consumers resync from the store. */
export async function publishSnapshotCompleted(
  bus: EventBus,
  logger: ServiceContext['logger'],
  snapshot: SnapshotRecord,
  revision: number,
): Promise<void> {
  try {
    await bus.publish({
      subject: snapshotCompletedSubject,
      id: `${snapshot.snapshotId}.completed`,
      accountId: snapshot.ownerId,
      resourceId: snapshot.snapshotId,
      revision,
      detailJson: JSON.stringify({
        volumeId: snapshot.volumeId,
        fullSnapshotSizeInBytes: snapshot.fullSnapshotSizeInBytes,
        incrementalSizeInBytes: snapshot.incrementalSizeInBytes,
      }),
    });
  } catch (error) {
    logger.warn({ err: error, snapshotId: snapshot.snapshotId }, 'snapshot completed event not published');
  }
}
