/**
 * The load-balancer service's own settings, each with its environment
 * variable and default; read once at start, every problem reported at once.
 */
import type { ConfigOf, ConfigSpec } from '@nimbus/runtime';

export const lbConfigSpec = {
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name, as ARNs show it' },
  maxTargetsPerGroup: {
    env: 'NIMBUS_LB_MAX_TARGETS_PER_GROUP',
    parse: 'int',
    default: 1000,
    description: 'targets a target group may hold (TooManyTargets beyond)',
  },
  dataPlane: {
    env: 'NIMBUS_LB_DATA_PLANE',
    parse: 'bool',
    default: true,
    description:
      'run the data plane (listeners, health checks) in this replica: on for the one-machine region',
  },
  samplePeriodMs: {
    env: 'NIMBUS_LB_SAMPLE_PERIOD',
    parse: 'duration',
    default: 10_000,
    description: 'how often traffic samples go on NATS (nimbus.metrics.load-balancer), e.g. 10s',
  },
  busServers: {
    env: 'NIMBUS_BUS_SERVERS',
    parse: 'list',
    default: [],
    description: 'NATS server URLs the samples go to; none: samples are not published',
  },
} satisfies ConfigSpec;

export type LbConfig = ConfigOf<typeof lbConfigSpec>;
