import { DomainError } from '../domain-error.js';
import type { ServerInterceptor } from '../inbound-call.js';

export function deadlineExceeded(): DomainError {
  return new DomainError('RequestExpired', 'the call deadline was exceeded');
}

export function callCanceled(): DomainError {
  return new DomainError('RequestCanceled', 'the caller canceled the call');
}

/**
 * Turns the caller's gRPC deadline into `context.deadline` and an aborted
 * signal, and ends the call with DEADLINE_EXCEEDED when it passes, even if
 * the handler ignores the signal. A call that arrives already expired is
 * refused before its handler runs.
 */
export const deadlineInterceptor: ServerInterceptor = (next) => async (call) => {
  if (!Number.isFinite(call.deadlineMs)) return next(call);
  call.deadline = new Date(call.deadlineMs);
  const remaining = call.deadlineMs - Date.now();
  if (remaining <= 0) throw deadlineExceeded();
  const { signal } = call.abort;
  if (signal.aborted) throw signal.reason;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const timer = setTimeout(() => call.abort.abort(deadlineExceeded()), remaining);
  try {
    return await Promise.race([next(call), aborted]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
};
