/**
 * The EC2 error codes of the block-storage domain, and the error the domain
 * modules throw. The modules stay free of gRPC; the service maps a
 * `StorageError` to the runtime's DomainError, which carries the code to the
 * caller unchanged.
 */
export const StorageErrorCode = {
  InvalidParameterValue: 'InvalidParameterValue',
  InvalidParameterCombination: 'InvalidParameterCombination',
  MissingParameter: 'MissingParameter',
  InvalidPaginationToken: 'InvalidPaginationToken',
  InvalidZoneNotFound: 'InvalidZone.NotFound',
  InvalidVolumeNotFound: 'InvalidVolume.NotFound',
  InvalidVolumeIdMalformed: 'InvalidVolumeID.Malformed',
  InvalidSnapshotNotFound: 'InvalidSnapshot.NotFound',
  InvalidIdMalformed: 'InvalidID',
  VolumeInUse: 'VolumeInUse',
  IncorrectState: 'IncorrectState',
  IncorrectModificationState: 'IncorrectModificationState',
  IdempotentParameterMismatch: 'IdempotentParameterMismatch',
  InsufficientVolumeCapacity: 'InsufficientVolumeCapacity',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** A refusal with an EC2 error code, e.g. `InvalidVolume.NotFound`. */
export class StorageError extends Error {
  override name = 'StorageError';

  constructor(
    /** The EC2 error code the caller sees. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function isStorageError(error: unknown, code?: string): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
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
