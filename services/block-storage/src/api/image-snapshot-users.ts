/**
 * The images behind snapshots, asked of the image service: DeleteSnapshot
 * refuses a snapshot that an image of its owner still names
 * (`InvalidSnapshot.InUse`). When the image service cannot answer, the
 * deletion fails (ServiceUnavailable) rather than risk an image without its bytes.
 */
import type { ImageService } from '@nimbus/api/gen/nimbus/image/v1/image_service_pb';
import { type Client, isRemoteError } from '@nimbus/runtime';
import { StorageError } from '../domain/storage-errors.js';
import type { SnapshotUsers } from './snapshot-api.js';

export function imageSnapshotUsers(images: Client<typeof ImageService>): SnapshotUsers {
  return {
    async imageUsing(accountId, snapshotId) {
      try {
        const { images: found } = await images.describeImages(
          { owners: ['self'], filters: [{ name: 'block-device-mapping.snapshot-id', values: [snapshotId] }] },
          { accountId, deadlineMs: 10_000 },
        );
        return found[0]?.imageId;
      } catch (error) {
        throw new StorageError(
          'ServiceUnavailable',
          `Cannot tell whether an image uses snapshot ${snapshotId} right now (${isRemoteError(error) ? error.code : 'no answer'}); try again.`,
        );
      }
    },
  };
}
