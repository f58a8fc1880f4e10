export interface WaitOptions {
  /** Give up after this long. Default 20 s: shared CI machines are slow at times, and a passing wait costs nothing. */
  timeoutMs?: number;
  /** Time between two checks. Default 25 ms. */
  intervalMs?: number;
  /** Says what was awaited when the deadline passes. */
  message?: string;
}

export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError';
}

/**
 * Polls `condition` until it returns a value other than false, null or
 * undefined, and returns that value. A condition that throws counts as "not
 * yet"; the last error is reported if the deadline passes. This is the only
 * way tests wait: never a bare sleep.
 */
export async function waitUntil<T>(
  condition: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, false | null | undefined>> {
  const { timeoutMs = 20_000, intervalMs = 25, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false && value !== null && value !== undefined) {
        return value as Exclude<T, false | null | undefined>;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${message}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
