/**
 * The compute service's own settings, each with its environment variable and
 * default; read once at start (`readConfig`), with every problem reported at once.
 */
import type { ConfigOf, ConfigSpec } from '@nimbus/runtime';

export const computeConfigSpec = {
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name' },
  zones: {
    env: 'NIMBUS_ZONES',
    parse: 'list',
    default: ['nimbus-1a', 'nimbus-1b'],
    description: 'availability zones, comma-separated (the same list the network service is given)',
  },
  terminatedRetention: {
    env: 'NIMBUS_TERMINATED_RETENTION',
    parse: 'duration',
    default: 3_600_000,
    description: 'how long a terminated instance stays visible to DescribeInstances before it vanishes',
  },
  workerLeaseTtl: {
    env: 'NIMBUS_WORKER_LEASE_TTL',
    parse: 'duration',
    default: 10_000,
    description: 'a worker silent for this long is NotReady (its system status checks turn impaired)',
  },
  workerLostGrace: {
    env: 'NIMBUS_WORKER_LOST_GRACE',
    parse: 'duration',
    default: 120_000,
    description:
      'how long a worker may stay NotReady before its instances are declared lost (terminated, Server.InternalError)',
  },
  launchTimeout: {
    env: 'NIMBUS_LAUNCH_TIMEOUT',
    parse: 'duration',
    default: 300_000,
    description: 'a launch still pending after this long fails (terminated, Server.InternalError)',
  },
  stopTimeout: {
    env: 'NIMBUS_STOP_TIMEOUT',
    parse: 'duration',
    default: 10_000,
    description: 'grace between SIGTERM and SIGKILL when an instance stops, reboots or terminates',
  },
} satisfies ConfigSpec;

export type ComputeConfig = ConfigOf<typeof computeConfigSpec>;
