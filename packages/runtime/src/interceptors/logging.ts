import { status } from '@grpc/grpc-js';
import { isDomainError } from '../domain-error.js';
import type { ServerInterceptor } from '../inbound-call.js';
import { activeTraceId } from '../tracing.js';

/** Statuses that mean the server, not the caller, is at fault. */
const serverFaults = new Set<status>([status.INTERNAL, status.UNKNOWN, status.DATA_LOSS]);

/**
 * One log line per call: method, outcome (gRPC status name and EC2 code),
 * duration, request id and account. Successes at debug, the caller's mistakes
 * at warn, server faults at error with the original error's stack: the
 * caller never sees that stack, so the log is the only place it goes.
 */
export const loggingInterceptor: ServerInterceptor = (next) => async (call) => {
  try {
    await next(call);
    if (call.logger.isLevelEnabled('debug')) {
      call.logger.debug(
        {
          method: call.path,
          code: 'OK',
          durationMs: elapsed(call.startedAt),
          requestId: call.requestId,
          accountId: call.accountId,
          traceId: activeTraceId(),
        },
        'call',
      );
    }
  } catch (error) {
    const grpcStatus = isDomainError(error) ? error.status : status.UNKNOWN;
    const fields = {
      method: call.path,
      code: status[grpcStatus],
      errorCode: isDomainError(error) ? error.code : undefined,
      durationMs: elapsed(call.startedAt),
      requestId: call.requestId,
      accountId: call.accountId,
      traceId: activeTraceId(),
    };
    if (serverFaults.has(grpcStatus)) {
      const cause = isDomainError(error) && error.cause !== undefined ? error.cause : error;
      call.logger.error({ ...fields, err: cause }, 'call failed');
    } else {
      call.logger.warn(fields, isDomainError(error) ? error.message : 'call failed');
    }
    throw error;
  }
};

function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 100) / 100;
}
