import { isRemoteError } from '@nimbus/runtime';

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

/** The code and message a call was refused with. */
export async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (isRemoteError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the call succeeded');
}
