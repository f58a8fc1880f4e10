/**
 * Which nats.js failures mean "the bus is not reachable right now" (retry
 * later) rather than a mistake in the request, and their translation to
 * `BusUnavailableError`.
 */

import { ErrorCode, NatsError } from 'nats';
import { BusUnavailableError } from './event-bus.js';

const UNAVAILABLE = new Set<string>([
  ErrorCode.ConnectionClosed,
  ErrorCode.ConnectionDraining,
  ErrorCode.ConnectionRefused,
  ErrorCode.ConnectionTimeout,
  ErrorCode.Disconnect,
  ErrorCode.NoResponders,
  ErrorCode.Timeout,
]);

export function isUnavailable(error: unknown): boolean {
  return error instanceof NatsError && UNAVAILABLE.has(error.code);
}

/** `BusUnavailableError` naming the servers when the error is a reachability one; otherwise the error itself. */
export function translateError(error: unknown, servers: readonly string[], doing: string): unknown {
  if (error instanceof BusUnavailableError || !isUnavailable(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new BusUnavailableError(`${doing}: NATS at ${servers.join(', ')} is unavailable (${reason})`, {
    cause: error,
  });
}
