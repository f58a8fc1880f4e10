/**
 * Whether another service refused a call for good (the resource is unknown,
 * the input is wrong, the state does not allow it) rather than failing for a
 * while (unavailable, overloaded, internal). A RemoteError is a DomainError:
 * let through an API handler, the caller sees the same EC2 code.
 */
import { status } from '@grpc/grpc-js';
import { isRemoteError } from '@nimbus/runtime';

const final = new Set<number>([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.FAILED_PRECONDITION,
  status.ALREADY_EXISTS,
  status.PERMISSION_DENIED,
  status.UNIMPLEMENTED,
  status.OUT_OF_RANGE,
]);

export function isFinalRefusal(error: unknown): boolean {
  return isRemoteError(error) && final.has(error.status) && error.code !== 'RequestLimitExceeded';
}

export function isRefusalCode(error: unknown, code: string): boolean {
  return isRemoteError(error) && error.code === code;
}
