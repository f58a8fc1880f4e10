import { create, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { ErrorDetailSchema } from '@nimbus/api/gen/nimbus/common/v1/common_pb';
import { BusUnavailableError } from '@nimbus/events';
import { StoreUnavailableError } from '@nimbus/store';
import { DomainError, isDomainError } from '../domain-error.js';
import type { InboundCall, ServerInterceptor } from '../inbound-call.js';
import { ERROR_CODE_TRAILER, ERROR_DETAIL_TRAILER } from '../metadata-keys.js';

/**
 * The DomainError a failed call answers with. A DomainError passes as is; when
 * the call was already aborted (cancel, deadline) the abort reason wins; etcd
 * or NATS out of reach is UNAVAILABLE / `ServiceUnavailable`, which a caller
 * may retry once they are back; any other throw is a bug, answered as INTERNAL / `InternalError` with only the
 * request id, while the original error stays as `cause` for the log.
 */
export function toDomainError(error: unknown, call: InboundCall): DomainError {
  if (isDomainError(error)) return error;
  const reason: unknown = call.abort.signal.reason;
  if (call.abort.signal.aborted && isDomainError(reason)) return reason;
  if (error instanceof StoreUnavailableError || error instanceof BusUnavailableError) {
    return new DomainError(
      'ServiceUnavailable',
      `the service cannot reach its ${error instanceof StoreUnavailableError ? 'store' : 'event bus'} right now; retry later`,
      status.UNAVAILABLE,
      { cause: error },
    );
  }
  return new DomainError('InternalError', `internal error, request id ${call.requestId}`, status.INTERNAL, {
    cause: error,
  });
}

/**
 * Maps whatever a handler throws to a DomainError and writes the EC2 code
 * into the trailers (`nimbus-error-code`, and `nimbus-error-detail-bin` with a
 * binary `nimbus.common.v1.ErrorDetail`), so that every client, in any
 * language, can read it.
 */
export const errorsInterceptor: ServerInterceptor = (next) => async (call) => {
  try {
    await next(call);
  } catch (thrown) {
    const error = toDomainError(thrown, call);
    call.trailer.set(ERROR_CODE_TRAILER, error.code);
    const detail = create(ErrorDetailSchema, {
      code: error.code,
      message: error.message,
      requestId: call.requestId,
    });
    call.trailer.set(ERROR_DETAIL_TRAILER, Buffer.from(toBinary(ErrorDetailSchema, detail)));
    throw error;
  }
};
