/**
 * What a reconciler promises and what the controller does with its answer.
 *
 * A reconciler gets a key, never an event. It re-reads the current state,
 * drives it one step toward the spec, writes status with compare-and-swap,
 * and returns. Running it twice in a row must be harmless.
 *
 * - resolves with nothing: done until the key changes again (or the resync);
 * - resolves with `{ requeueAfterMs }`: look again after that long, without
 *   counting as a failure (a process still starting, a timer to honour);
 * - throws: retried with exponential backoff, per key;
 * - throws `TerminalError`: logged and counted, never retried; the next change
 *   of the key or the periodic resync brings it back.
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined>;

/** A failure that another attempt cannot fix, such as a spec that cannot be met. */
export class TerminalError extends Error {
  override name = 'TerminalError';
}

export function isTerminalError(error: unknown): error is TerminalError {
  return error instanceof TerminalError;
}
