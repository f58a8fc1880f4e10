/** The error an AWS SDK call rejects with, failing the test if it succeeds. */
export interface SdkError extends Error {
  $metadata: { httpStatusCode?: number; requestId?: string };
  $fault?: string;
}

export async function sdkError(call: Promise<unknown>): Promise<SdkError> {
  const outcome = await call.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected the call to fail, it answered ${JSON.stringify(outcome.value)}`);
  return outcome.error as SdkError;
}
