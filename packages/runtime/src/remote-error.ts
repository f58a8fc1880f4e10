import { fromBinary } from '@bufbuild/protobuf';
import type { ServiceError } from '@grpc/grpc-js';
import { ErrorDetailSchema } from '@nimbus/api/gen/nimbus/common/v1/common_pb';
import { codeForStatus, DomainError } from './domain-error.js';
import { ERROR_CODE_TRAILER, ERROR_DETAIL_TRAILER, REQUEST_ID_KEY } from './metadata-keys.js';

/**
 * A failed call as the client sees it: the EC2 code from the server's
 * `nimbus-error-code` trailer (or one derived from the bare status when the
 * call failed before reaching a Nimbus handler). It is a DomainError, so a
 * handler that lets it through answers its own caller with the same code.
 */
export class RemoteError extends DomainError {
  override name = 'RemoteError';

  constructor(
    code: string,
    message: string,
    grpcStatus: ServiceError['code'],
    /** The server's request id, to find the call in its log. */
    readonly requestId: string | undefined,
    options?: ErrorOptions,
  ) {
    super(code, message, grpcStatus, options);
  }
}

export function isRemoteError(error: unknown): error is RemoteError {
  return error instanceof RemoteError;
}

function firstString(error: ServiceError, key: string): string | undefined {
  const value = error.metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** Turns a grpc-js client error into a RemoteError carrying the EC2 code. */
export function fromServiceError(error: ServiceError): RemoteError {
  let code = firstString(error, ERROR_CODE_TRAILER);
  let message = error.details;
  let requestId = firstString(error, REQUEST_ID_KEY);
  const detailBytes = error.metadata?.get(ERROR_DETAIL_TRAILER)[0];
  if (detailBytes instanceof Buffer) {
    try {
      const detail = fromBinary(ErrorDetailSchema, detailBytes);
      code ||= detail.code;
      message = detail.message || message;
      requestId = detail.requestId || requestId;
    } catch {
      // A detail we cannot decode adds nothing: the trailer code and status still hold.
    }
  }
  return new RemoteError(code || codeForStatus(error.code), message, error.code, requestId, { cause: error });
}
