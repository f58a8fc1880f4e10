/**
 * What RegisterImage asks block storage about the snapshots it is given,
 * acting for the caller: each must be the caller's and completed, and a
 * volume made from it at least as large as it. Block storage's own refusals
 * (InvalidSnapshot.NotFound for another account's snapshot) reach the caller
 * unchanged.
 */
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { Client } from '@nimbus/runtime';
import type { MappingRecord } from '../domain/block-device-mappings.js';
import { ImageError, ImageErrorCode } from '../domain/image-errors.js';

/** The mappings with every EBS volume size settled against its snapshot. */
export async function checkedAgainstSnapshots(
  storage: Client<typeof BlockStorageService>,
  accountId: string,
  mappings: readonly MappingRecord[],
  signal?: AbortSignal,
): Promise<MappingRecord[]> {
  const checked: MappingRecord[] = [];
  for (const mapping of mappings) {
    const ebs = mapping.ebs;
    if (!ebs?.snapshotId) {
      checked.push(mapping);
      continue;
    }
    const { snapshots } = await storage.describeSnapshots(
      { snapshotIds: [ebs.snapshotId] },
      { accountId, ...(signal ? { signal } : {}) },
    );
    const snapshot = snapshots[0];
    if (!snapshot) {
      throw new ImageError(
        ImageErrorCode.InvalidSnapshotNotFound,
        `The snapshot '${ebs.snapshotId}' does not exist.`,
      );
    }
    if (snapshot.state !== 'completed') {
      throw new ImageError(
        ImageErrorCode.IncorrectState,
        `Snapshot '${ebs.snapshotId}' is ${snapshot.state}; an image needs completed snapshots.`,
      );
    }
    const volumeSize = ebs.volumeSize || snapshot.volumeSize;
    if (volumeSize < snapshot.volumeSize) {
      throw new ImageError(
        ImageErrorCode.InvalidBlockDeviceMapping,
        `Volume of ${volumeSize}GiB is smaller than snapshot '${ebs.snapshotId}', expect size >= ${snapshot.volumeSize}GiB`,
      );
    }
    checked.push({ ...mapping, ebs: { ...ebs, volumeSize, encrypted: ebs.encrypted || snapshot.encrypted } });
  }
  return checked;
}
