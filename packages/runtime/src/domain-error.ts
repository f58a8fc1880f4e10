import { status } from '@grpc/grpc-js';

/**
 * An error a handler throws on purpose: the EC2 error code the caller sees
 * (`InvalidInstanceID.NotFound`) with the gRPC status that carries it. The
 * server sends the code in the `nimbus-error-code` trailer, the status as the
 * call's status, and the message as its details.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  /** The gRPC status; by default the one `statusForCode` gives for the code. */
  readonly status: status;

  constructor(
    /** The EC2 error code, e.g. `InvalidParameterValue`. */
    readonly code: string,
    message: string,
    grpcStatus?: status,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.status = grpcStatus ?? statusForCode(code);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

const invalidArgument = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'ValidationError',
  'IdempotentParameterMismatch',
]);
const failedPrecondition = new Set([
  'DependencyViolation',
  'IncorrectState',
  'IncorrectInstanceState',
  'DryRunOperation',
]);

/**
 * The gRPC status of an EC2 error code: exact codes first, then the EC2
 * naming families (`*.NotFound`, `*.Duplicate`, `*.Malformed`, `*LimitExceeded`).
 * Anything else is the caller's mistake: INVALID_ARGUMENT.
 */
export function statusForCode(code: string): status {
  if (invalidArgument.has(code)) return status.INVALID_ARGUMENT;
  if (failedPrecondition.has(code)) return status.FAILED_PRECONDITION;
  switch (code) {
    case 'AuthFailure':
      return status.UNAUTHENTICATED;
    case 'UnauthorizedOperation':
      return status.PERMISSION_DENIED;
    case 'ServiceUnavailable':
      return status.UNAVAILABLE;
    case 'InternalError':
      return status.INTERNAL;
    case 'RequestExpired':
      return status.DEADLINE_EXCEEDED;
    case 'RequestCanceled':
      return status.CANCELLED;
  }
  if (code.endsWith('.NotFound') || code.endsWith('NotFound')) return status.NOT_FOUND;
  if (code.endsWith('.Duplicate') || code.startsWith('Duplicate') || code.endsWith('AlreadyExists')) {
    return status.ALREADY_EXISTS;
  }
  if (code.endsWith('.Malformed')) return status.INVALID_ARGUMENT;
  if (code.endsWith('LimitExceeded')) return status.RESOURCE_EXHAUSTED;
  if (code.startsWith('Incorrect') && code.endsWith('State')) return status.FAILED_PRECONDITION;
  return status.INVALID_ARGUMENT;
}

/** The EC2 code a bare gRPC status stands for, when the server sent none (transport failures). */
export function codeForStatus(grpcStatus: status): string {
  switch (grpcStatus) {
    case status.UNAUTHENTICATED:
      return 'AuthFailure';
    case status.PERMISSION_DENIED:
      return 'UnauthorizedOperation';
    case status.UNAVAILABLE:
      return 'ServiceUnavailable';
    case status.DEADLINE_EXCEEDED:
      return 'RequestExpired';
    case status.CANCELLED:
      return 'RequestCanceled';
    case status.RESOURCE_EXHAUSTED:
      return 'RequestLimitExceeded';
    case status.INVALID_ARGUMENT:
      return 'InvalidParameterValue';
    case status.UNIMPLEMENTED:
      return 'UnsupportedOperation';
    default:
      return 'InternalError';
  }
}
