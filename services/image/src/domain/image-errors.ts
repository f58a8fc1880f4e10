/**
 * The EC2 error codes of the image domain, and the error the domain modules
 * throw. The modules stay free of gRPC; the service kit's `translatingErrors`
 * maps a refusal to the runtime's DomainError, which carries the code to the
 * caller unchanged.
 */
import { ApiError } from '@nimbus/service-kit';

export const ImageErrorCode = {
  InvalidParameterValue: 'InvalidParameterValue',
  InvalidParameterCombination: 'InvalidParameterCombination',
  MissingParameter: 'MissingParameter',
  InvalidAmiNameMalformed: 'InvalidAMIName.Malformed',
  InvalidAmiNameDuplicate: 'InvalidAMIName.Duplicate',
  InvalidAmiIdMalformed: 'InvalidAMIID.Malformed',
  InvalidAmiIdNotFound: 'InvalidAMIID.NotFound',
  InvalidAmiIdUnavailable: 'InvalidAMIID.Unavailable',
  InvalidAmiAttributeItemValue: 'InvalidAMIAttributeItemValue',
  InvalidBlockDeviceMapping: 'InvalidBlockDeviceMapping',
  InvalidSnapshotNotFound: 'InvalidSnapshot.NotFound',
  InvalidId: 'InvalidID',
  AuthFailure: 'AuthFailure',
  IncorrectState: 'IncorrectState',
  IdempotentParameterMismatch: 'IdempotentParameterMismatch',
} as const;

export type ImageErrorCode = (typeof ImageErrorCode)[keyof typeof ImageErrorCode];

/** A refusal with an EC2 error code, e.g. `InvalidAMIID.NotFound`. */
export class ImageError extends ApiError {
  override name = 'ImageError';
}

export function invalidParameterValue(message: string): ImageError {
  return new ImageError(ImageErrorCode.InvalidParameterValue, message);
}

export function missingParameter(name: string): ImageError {
  return new ImageError(ImageErrorCode.MissingParameter, `The request must contain the parameter ${name}`);
}

/** EC2 names every missing id at once: "The image id '[ami-1, ami-2]' does not exist". */
export function imageNotFound(imageIds: readonly string[]): ImageError {
  const many = imageIds.length > 1;
  return new ImageError(
    ImageErrorCode.InvalidAmiIdNotFound,
    `The image id${many ? 's' : ''} '[${imageIds.join(', ')}]' ${many ? 'do' : 'does'} not exist`,
  );
}

/** An image that exists but is not the caller's to change or read in detail. */
export function notAuthorizedForImage(imageId: string): ImageError {
  return new ImageError(ImageErrorCode.AuthFailure, `Not authorized for image:${imageId}`);
}

/** What a launching service is told about images its caller may not launch. */
export function notAuthorizedForImages(imageIds: readonly string[]): ImageError {
  return new ImageError(ImageErrorCode.AuthFailure, `Not authorized for images: [${imageIds.join(', ')}]`);
}

export function imageUnavailable(imageId: string, state: string): ImageError {
  return new ImageError(
    ImageErrorCode.InvalidAmiIdUnavailable,
    `The image id '[${imageId}]' is not available: it is ${state}.`,
  );
}
