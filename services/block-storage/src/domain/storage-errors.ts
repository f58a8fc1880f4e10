/**
 * The EC2 error codes of the block-storage domain, and the error the domain
 * modules throw. The modules stay free of gRPC; the service kit's
 * `translatingErrors` maps a refusal to the runtime's DomainError, which
 * carries the code to the caller unchanged.
 */
import { ApiError, isApiError } from '@nimbus/service-kit';

export const StorageErrorCode = {
  InvalidParameter: 'InvalidParameter',
  InvalidParameterValue: 'InvalidParameterValue',
  InvalidParameterCombination: 'InvalidParameterCombination',
  MissingParameter: 'MissingParameter',
  InvalidPaginationToken: 'InvalidPaginationToken',
  InvalidZoneNotFound: 'InvalidZone.NotFound',
  InvalidVolumeNotFound: 'InvalidVolume.NotFound',
  InvalidVolumeIdMalformed: 'InvalidVolumeID.Malformed',
  InvalidSnapshotNotFound: 'InvalidSnapshot.NotFound',
  InvalidSnapshotIdMalformed: 'InvalidSnapshotID.Malformed',
  InvalidImportTaskIdMalformed: 'InvalidConversionTaskId.Malformed',
  InvalidImportTaskIdNotFound: 'InvalidConversionTaskId.NotFound',
  InvalidSnapshotInUse: 'InvalidSnapshot.InUse',
  SnapshotCreationPerVolumeRateExceeded: 'SnapshotCreationPerVolumeRateExceeded',
  InvalidIdMalformed: 'InvalidID',
  VolumeInUse: 'VolumeInUse',
  InvalidInstanceIdMalformed: 'InvalidInstanceID.Malformed',
  InvalidVolumeZoneMismatch: 'InvalidVolume.ZoneMismatch',
  InvalidAttachmentNotFound: 'InvalidAttachment.NotFound',
  AttachmentLimitExceeded: 'AttachmentLimitExceeded',
  OperationNotPermitted: 'OperationNotPermitted',
  IncorrectState: 'IncorrectState',
  IncorrectModificationState: 'IncorrectModificationState',
  IdempotentParameterMismatch: 'IdempotentParameterMismatch',
  InsufficientVolumeCapacity: 'InsufficientVolumeCapacity',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** A refusal with an EC2 error code, e.g. `InvalidVolume.NotFound`. */
export class StorageError extends ApiError {
  override name = 'StorageError';
}

/** Whether `error` is a refusal (of that code, when given): the service's own or the shared kit's. */
export function isStorageError(error: unknown, code?: string): error is ApiError {
  return isApiError(error, code);
}

export function invalidParameterValue(message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidParameterValue, message);
}

export function invalidParameterCombination(message: string): StorageError {
  return new StorageError(StorageErrorCode.InvalidParameterCombination, message);
}

export function missingParameter(name: string): StorageError {
  return new StorageError(
    StorageErrorCode.MissingParameter,
    `The request must contain the parameter ${name}`,
  );
}
