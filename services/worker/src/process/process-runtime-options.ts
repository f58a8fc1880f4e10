/** Options of the process runtime, each default beside its field. */
import type { Logger } from 'pino';
import type { MetadataEndpoints } from '../runtime/metadata-endpoints.js';
import type { RootVolumes } from './root-volumes.js';

export interface ProcessRuntimeOptions {
  /** The worker's home: instance state under `<home>/instances`, directory roots under `<home>/roots`. */
  home: string;
  /**
   * This worker's identity on the host, put in every instance process's
   * environment (NIMBUS_WORKER_ID) so that a restarted worker finds its
   * processes, and only its own, also the ones it has no record of.
   */
  workerId: string;
  logger: Logger;
  /** How root volumes become directories. Default: directories under `<home>/roots` (or the spec's own). */
  rootVolumes?: RootVolumes;
  /** The instance metadata service; without it instances get no AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  metadata?: MetadataEndpoints;
  /** SIGTERM to SIGKILL on stop and reboot, ms. Default 10 s. */
  stopGraceMs?: number;
  /** How often CPU and memory are sampled, exits of re-adopted instances noticed and consoles trimmed, ms. Default 5 s. */
  sampleIntervalMs?: number;
  /** pids.max of each instance's cgroup. Default 1024. */
  pidsMax?: number;
  /** Console segment bound, bytes (the console keeps about two). Default 64 KiB. */
  consoleSegmentBytes?: number;
  /** `off`: never use cgroups (limits reported as not enforced). Default `auto`: when the host allows. */
  cgroups?: 'auto' | 'off';
  /** Root of the cgroup v1 hierarchies. Default /sys/fs/cgroup. */
  cgroupRoot?: string;
}

export const processRuntimeDefaults = {
  stopGraceMs: 10_000,
  sampleIntervalMs: 5_000,
  pidsMax: 1024,
} as const;
