/** The autoscaler's own settings, read from the environment (see README). */
import type { ConfigSpec } from '@nimbus/runtime';

export const autoscalerConfigSpec = {
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name, as ARNs show it' },
  activePollMs: {
    env: 'NIMBUS_AUTOSCALER_ACTIVE_POLL',
    parse: 'duration',
    default: 1_000,
    description: 'how often a group with launches or terminations under way is looked at again',
  },
  healthPollMs: {
    env: 'NIMBUS_AUTOSCALER_HEALTH_POLL',
    parse: 'duration',
    default: 10_000,
    description:
      "how often a settled group's instances are health-checked (compute's events bring most changes sooner)",
  },
  launchRetryMs: {
    env: 'NIMBUS_AUTOSCALER_LAUNCH_RETRY',
    parse: 'duration',
    default: 10_000,
    description: 'how long a group waits after a failed launch before it tries again',
  },
} satisfies ConfigSpec;

export interface AutoscalerSettings {
  region: string;
  activePollMs: number;
  healthPollMs: number;
  launchRetryMs: number;
}
