/**
 * What a worker last reported of one instance, kept apart from the instance
 * record so that reports never race the user's writes. The stream server
 * writes it when something a reader cares about changes (phase, generation,
 * status, ports), not for every usage sample; the controller watches it.
 */
export interface ObservedPortRecord {
  protocol: string;
  address: string;
  port: number;
}

export interface ObservationRecord {
  instanceId: string;
  accountId: string;
  workerName: string;
  generation: number;
  phase: 'starting' | 'running' | 'exited' | 'crashed' | 'stopped' | 'missing';
  pid: number;
  exitCode?: number;
  exitSignal: string;
  startedTime?: string;
  endedTime?: string;
  listeningPorts: ObservedPortRecord[];
  instanceStatus: 'initializing' | 'ok' | 'impaired';
  statusMessage: string;
  rebootGeneration: number;
  limitsEnforced: boolean;
  error: string;
  /** When this phase was first reported. */
  since: string;
}

/** The console output of one instance: the last 64 KiB it printed. */
export interface ConsoleRecord {
  /** Base64. */
  output: string;
  updatedAt: string;
}

export const consoleLimitBytes = 64 * 1024;

/** `held` followed by `delta`, or `delta` alone on a reset, cut to the last 64 KiB. */
export function appendConsole(held: Buffer, delta: Uint8Array, reset: boolean): Buffer {
  const joined = reset ? Buffer.from(delta) : Buffer.concat([held, delta]);
  return joined.length > consoleLimitBytes ? joined.subarray(joined.length - consoleLimitBytes) : joined;
}
