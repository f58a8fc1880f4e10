/** Helpers for the tests of domain services: what a refusal's code was. */
import { isRemoteError } from '@nimbus/runtime';
import { isApiError } from './api-error.js';

/** The code of the refusal a domain function throws; undefined if it returns. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isApiError(error) ? error.code : 'not a refusal';
  }
  return undefined;
}

/** The code and message a gRPC call was refused with; throws if it succeeded. */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (isRemoteError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}

/** The EC2 error code a gRPC call was refused with; throws if it succeeded. */
export async function errorCode(call: Promise<unknown>): Promise<string> {
  return (await refusal(call)).code;
}
