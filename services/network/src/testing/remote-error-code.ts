import { isRemoteError } from '@nimbus/runtime';
import { isNetworkError } from '../domain/network-errors.js';

/** The EC2 error code a call was refused with; throws if it succeeded. */
export async function errorCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (isRemoteError(error)) return error.code;
    throw error;
  }
  throw new Error('the call succeeded');
}

/** The code of the NetworkError a domain function throws; undefined if it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isNetworkError(error) ? error.code : 'not a NetworkError';
  }
  return undefined;
}
