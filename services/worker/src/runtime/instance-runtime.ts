/**
 * What runs instances on a worker, behind one interface: the process runtime
 * (real process trees) and the fake runtime (no processes, for scale tests).
 * The agent tells a runtime what to start, reboot and stop; the runtime tells
 * the agent what it observes, through `onChange` and `observe()`.
 *
 * A runtime never decides an instance's EC2 state: it reports what happened
 * (the boot process exited by itself, or crashed) and compute applies
 * InstanceInitiatedShutdownBehavior or marks the status check impaired.
 */
import type { InstanceSpec } from './instance-spec.js';

/**
 * Where an instance is on this worker:
 * - `starting`: being set up (root volume, limits, metadata endpoint) or booting;
 * - `running`: its boot process runs;
 * - `stopping`: asked to stop, waiting for the process tree to end;
 * - `stopped`: stopped because it was asked to (nothing of it runs);
 * - `exited`: its boot process ended by itself with status 0 (the instance shut itself down);
 * - `crashed`: its boot process ended with a non-zero status or a signal, or could not start.
 */
export type InstancePhase = 'starting' | 'running' | 'stopping' | 'stopped' | 'exited' | 'crashed';

export interface InstanceExit {
  /** The boot process's exit status, when it exited. */
  code?: number;
  /** The signal that ended it (e.g. `SIGKILL`), when a signal did. */
  signal?: string;
  /** Why, in words: what a user reads in the state reason or the status check. */
  reason: string;
  at: Date;
}

export interface InstanceUsage {
  /** CPU time used since the instance booted, in seconds. */
  cpuSeconds: number;
  /** CPU used over the last sample interval, in percent of one vCPU (200: two busy vCPUs). */
  cpuPercent: number;
  /** Resident memory of the whole process tree, bytes. */
  memoryBytes: number;
  sampledAt: Date;
}

export interface InstanceLimits {
  /** True when the CPU, memory and pids limits are enforced (cgroups), false when only recorded. */
  enforced: boolean;
  /** When not enforced: why not. */
  reason?: string;
}

export interface ListeningPort {
  protocol: 'tcp' | 'udp';
  /** The bound address: the private IP, or 0.0.0.0 for all. */
  address: string;
  port: number;
}

/** A slice of an instance's console, from a cursor the caller keeps. */
export interface ConsoleChunk {
  bytes: Uint8Array;
  /** Where the next read goes on from. */
  cursor: number;
  /** True: `bytes` is the whole retained tail, not a continuation (first read, or output was lost in between). */
  reset: boolean;
}

export interface ObservedInstance {
  instanceId: string;
  phase: InstancePhase;
  /** The process id of the instance's init (the process group leader), while it runs. */
  pid?: number;
  /** Boots since the worker first started it: 1 after the first start, +1 per reboot or start. */
  bootCount: number;
  /** When the current (or last) boot began. */
  bootedAt?: Date;
  exit?: InstanceExit;
  usage?: InstanceUsage;
  limits: InstanceLimits;
  /** The instance metadata endpoint its environment names (AWS_EC2_METADATA_SERVICE_ENDPOINT), if it has one. */
  metadataEndpoint?: string;
  /** True when a previous worker process started it and this one re-adopted it. */
  adopted: boolean;
  /** Ports its processes listen on (the complete set), as of the last sample. */
  listeningPorts: ListeningPort[];
  /** Set with phase `crashed` when the worker could not set the instance up (root volume, command): not the instance's fault. */
  error?: string;
}

export interface StopOptions {
  /** SIGTERM to SIGKILL, ms; 0: SIGKILL at once. Default: the runtime's. */
  graceMs?: number;
}

export type ObservationListener = (observed: ObservedInstance) => void;

export interface InstanceRuntime {
  readonly kind: 'process' | 'fake';
  /**
   * Finds what a previous worker process left on this host: instances still
   * running (re-adopted, reported with `adopted: true`). Leftovers that cannot
   * be matched to an instance (a process whose start was never recorded, or
   * whose state file names another process) are killed here. Call once, first.
   */
  recover(): Promise<ObservedInstance[]>;
  /** Starts (or, when stopped, exited or crashed, starts again) an instance. Idempotent while it runs. */
  start(spec: InstanceSpec): Promise<void>;
  /** Restarts its process tree, keeping its root volume and metadata endpoint. */
  reboot(instanceId: string, options?: StopOptions): Promise<void>;
  /** Ends its process tree: SIGTERM, then SIGKILL after the grace. */
  stop(instanceId: string, options?: StopOptions): Promise<void>;
  /** Stops it if needed and forgets it, console output included (the instance is terminated). */
  remove(instanceId: string, options?: StopOptions): Promise<void>;
  /** What it observes now, one entry per instance it knows. */
  observe(): ObservedInstance[];
  /** What it observes of one instance, if it knows it. */
  observeInstance(instanceId: string): ObservedInstance | undefined;
  /** The tail of what the instance printed (boot command and user data), at most `maxBytes`. */
  consoleOutput(instanceId: string, maxBytes?: number): Promise<string>;
  /**
   * What the instance printed since `cursor` (from an earlier chunk), at most
   * `maxBytes`; without a cursor, or when output between was lost, the tail
   * with `reset`.
   */
  consoleSince(instanceId: string, cursor: number | undefined, maxBytes?: number): Promise<ConsoleChunk>;
  /** Whether this host enforces instance limits (the same for every instance), and if not why not. */
  hostLimits(): Promise<InstanceLimits>;
  /** Called on every phase change and usage sample. Returns the unsubscribe function. */
  onChange(listener: ObservationListener): () => void;
  /**
   * Releases the worker's hold on its instances without stopping them (they
   * keep running; the next worker process re-adopts them) when `keepInstances`,
   * else stops every instance first.
   */
  close(options?: { keepInstances?: boolean }): Promise<void>;
}
