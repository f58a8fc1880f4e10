/** The id prefixes of the image domain's resources. */
import { isId } from '@nimbus/service-kit';
import { ImageError, ImageErrorCode, missingParameter } from './image-errors.js';

export const IdPrefix = {
  image: 'ami',
} as const;

export { isId, newId } from '@nimbus/service-kit';

/** Refuses an empty or malformed image id, as EC2 does. */
export function requireImageId(imageId: string, parameter = 'ImageId'): void {
  if (imageId === '') throw missingParameter(parameter);
  if (!isId(IdPrefix.image, imageId)) {
    throw new ImageError(
      ImageErrorCode.InvalidAmiIdMalformed,
      `Invalid id: "${imageId}" (expecting "ami-...")`,
    );
  }
}
