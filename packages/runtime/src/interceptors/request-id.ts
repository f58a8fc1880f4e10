import { randomUUID } from 'node:crypto';
import type { ServerInterceptor } from '../inbound-call.js';
import { REQUEST_ID_KEY } from '../metadata-keys.js';

const acceptable = /^[\w.:@/+=-]{1,128}$/;

/**
 * Gives every call a request id: the caller's `x-request-id` when it is a
 * sane token, else a fresh UUID. The id goes back in the response header and
 * trailer so a caller can quote it, whatever the outcome.
 */
export const requestIdInterceptor: ServerInterceptor = (next) => (call) => {
  const offered = call.metadata.get(REQUEST_ID_KEY)[0];
  call.requestId = typeof offered === 'string' && acceptable.test(offered) ? offered : randomUUID();
  call.header.set(REQUEST_ID_KEY, call.requestId);
  call.trailer.set(REQUEST_ID_KEY, call.requestId);
  return next(call);
};
