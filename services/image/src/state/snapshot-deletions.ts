/**
 * Deleting the snapshots a deregistered image leaves, through block storage
 * acting for their owner. Each gets EC2's DeleteAssociatedSnapshots return
 * code; a snapshot another registered image still uses is skipped; one that
 * block storage could not delete for a passing reason (it is still pending,
 * the service is out of reach) is `retry`, for the image controller.
 */
import { status } from '@grpc/grpc-js';
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import { type Client, isRemoteError } from '@nimbus/runtime';
import type { Records } from '@nimbus/service-kit';
import { snapshotsOf } from '../domain/block-device-mappings.js';
import { imageKeys } from './image-keys.js';
import type { ImageRecord } from './image-records.js';

export type SnapshotDeletion = 'success' | 'skipped' | 'client-error' | 'missing-permissions' | 'retry';

/** Snapshot ids used by images other than `imageId` that are not deregistered. */
export async function snapshotsInUse(images: Records<ImageRecord>, imageId: string): Promise<Set<string>> {
  const all = await images.list(imageKeys.images());
  return new Set(
    all
      .map((r) => r.value)
      .filter((i) => i.imageId !== imageId && i.state !== 'deregistered')
      .flatMap((i) => snapshotsOf(i.blockDeviceMappings)),
  );
}

export async function deleteSnapshot(
  storage: Client<typeof BlockStorageService>,
  ownerId: string,
  snapshotId: string,
  inUse: ReadonlySet<string>,
): Promise<SnapshotDeletion> {
  if (inUse.has(snapshotId)) return 'skipped';
  try {
    await storage.deleteSnapshot({ snapshotId }, { accountId: ownerId });
    return 'success';
  } catch (error) {
    if (!isRemoteError(error)) throw error;
    switch (error.code) {
      case 'InvalidSnapshot.NotFound':
        // Already gone: what was asked holds.
        return 'success';
      case 'InvalidSnapshot.InUse':
        return 'skipped';
      case 'IncorrectState':
        return 'retry';
      case 'AuthFailure':
      case 'UnauthorizedOperation':
        return 'missing-permissions';
      default:
        return error.status === status.INVALID_ARGUMENT || error.code.startsWith('Invalid')
          ? 'client-error'
          : 'retry';
    }
  }
}
