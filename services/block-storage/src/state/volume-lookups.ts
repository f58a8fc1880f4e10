/** Finding an account's volume by id, with EC2's refusals for malformed and unknown ids. */

import type { Records, Stored } from '@nimbus/service-kit';
import { IdPrefix, isId } from '../domain/ids.js';
import { StorageError, StorageErrorCode } from '../domain/storage-errors.js';
import { storageKeys } from './storage-keys.js';
import type { VolumeRecord } from './volume-records.js';

export function requireVolumeId(volumeId: string): void {
  if (volumeId === '') {
    throw new StorageError(
      StorageErrorCode.MissingParameter,
      'The request must contain the parameter VolumeId',
    );
  }
  if (!isId(IdPrefix.volume, volumeId)) {
    throw new StorageError(
      StorageErrorCode.InvalidVolumeIdMalformed,
      `Invalid id: "${volumeId}" (expecting "vol-...")`,
    );
  }
}

export function volumeNotFound(volumeId: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidVolumeNotFound, `The volume '${volumeId}' does not exist.`);
}

/** The volume, or InvalidVolume.NotFound: another account's volume does not exist for the caller. */
export async function getVolume(
  volumes: Records<VolumeRecord>,
  accountId: string,
  volumeId: string,
): Promise<Stored<VolumeRecord>> {
  requireVolumeId(volumeId);
  const record = await volumes.get(storageKeys.volume(accountId, volumeId));
  if (!record) throw volumeNotFound(volumeId);
  return record;
}
