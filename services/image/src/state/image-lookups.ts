/** Finding an image by id for a caller, with EC2's refusals for each way it can be out of reach. */
import type { Records, Stored } from '@nimbus/service-kit';
import { requireImageId } from '../domain/ids.js';
import { imageNotFound, imageUnavailable, notAuthorizedForImage } from '../domain/image-errors.js';
import { canLaunch } from '../domain/launch-permissions.js';
import { imageKeys } from './image-keys.js';
import type { ImageRecord } from './image-records.js';

/** Any image by id: InvalidAMIID.NotFound when there is none (a removed tombstone included). */
export async function getImage(
  images: Records<ImageRecord>,
  imageId: string,
  parameter?: string,
): Promise<Stored<ImageRecord>> {
  requireImageId(imageId, parameter);
  const record = await images.get(imageKeys.image(imageId));
  if (!record) throw imageNotFound([imageId]);
  return record;
}

/**
 * An image the caller owns, for the calls that change it or read it in
 * detail: another account's image (shared, public or private) is
 * AuthFailure, as in EC2; a deregistered one is InvalidAMIID.Unavailable.
 */
export async function getOwnImage(
  images: Records<ImageRecord>,
  accountId: string,
  imageId: string,
  parameter?: string,
): Promise<Stored<ImageRecord>> {
  const record = await getImage(images, imageId, parameter);
  if (record.value.ownerId !== accountId) throw notAuthorizedForImage(imageId);
  if (record.value.state === 'deregistered') throw imageUnavailable(imageId, 'deregistered');
  return record;
}

/** An image the caller may launch (owned, public or shared with it); else InvalidAMIID.NotFound. */
export async function getLaunchableImage(
  images: Records<ImageRecord>,
  accountId: string,
  imageId: string,
  parameter?: string,
): Promise<Stored<ImageRecord>> {
  const record = await getImage(images, imageId, parameter);
  if (!canLaunch(record.value, accountId)) throw imageNotFound([imageId]);
  return record;
}
