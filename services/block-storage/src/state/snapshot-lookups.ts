/** Finding an account's snapshot by id, with EC2's refusals for malformed and unknown ids. */

import type { Records, Stored } from '@nimbus/service-kit';
import { IdPrefix, isId } from '../domain/ids.js';
import { missingParameter, StorageError, StorageErrorCode } from '../domain/storage-errors.js';
import type { SnapshotRecord } from './snapshot-records.js';
import { storageKeys } from './storage-keys.js';

export function requireSnapshotId(snapshotId: string, parameter = 'SnapshotId'): void {
  if (snapshotId === '') throw missingParameter(parameter);
  if (!isId(IdPrefix.snapshot, snapshotId)) {
    throw new StorageError(
      StorageErrorCode.InvalidSnapshotIdMalformed,
      `Invalid id: "${snapshotId}" (expecting "snap-...")`,
    );
  }
}

export function snapshotNotFound(snapshotId: string): StorageError {
  return new StorageError(
    StorageErrorCode.InvalidSnapshotNotFound,
    `The snapshot '${snapshotId}' does not exist.`,
  );
}

/** The snapshot, or InvalidSnapshot.NotFound: another account's snapshot does not exist for the caller. */
export async function getSnapshot(
  snapshots: Records<SnapshotRecord>,
  accountId: string,
  snapshotId: string,
  parameter?: string,
): Promise<Stored<SnapshotRecord>> {
  requireSnapshotId(snapshotId, parameter);
  const record = await snapshots.get(storageKeys.snapshot(accountId, snapshotId));
  if (!record) throw snapshotNotFound(snapshotId);
  return record;
}
