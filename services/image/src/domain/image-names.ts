/**
 * EC2's rules for image names: 3 to 128 characters, each a letter, a digit, a
 * space or one of ( ) [ ] . / - ' @ _. A name is unique per owning account
 * among the images that are not deregistered.
 */
import { ImageError, ImageErrorCode, missingParameter } from './image-errors.js';

const namePattern = /^[A-Za-z0-9()[\] ./\-'@_]{3,128}$/;

export function checkImageName(name: string, parameter = 'name'): void {
  if (name === '') throw missingParameter(parameter);
  if (!namePattern.test(name)) {
    throw new ImageError(
      ImageErrorCode.InvalidAmiNameMalformed,
      `The image name '${name}' is not valid: it must have 3 to 128 characters, each a letter, a digit, a space or one of ( ) [ ] . / - ' @ _`,
    );
  }
}

export function duplicateImageName(name: string, imageId: string): ImageError {
  return new ImageError(
    ImageErrorCode.InvalidAmiNameDuplicate,
    `AMI name ${name} is already in use by AMI ${imageId}`,
  );
}

/** EC2's limit on an image description. */
export function checkImageDescription(description: string): void {
  if (description.length > 255) {
    throw new ImageError(
      ImageErrorCode.InvalidParameterValue,
      'The image description must be at most 255 characters.',
    );
  }
}
