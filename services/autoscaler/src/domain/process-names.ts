/** Auto Scaling's processes, each of which SuspendProcesses can stop. */
import { validationError } from './autoscaling-errors.js';

export const scalingProcesses = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const;

export type ScalingProcess = (typeof scalingProcesses)[number];

/** The processes a Suspend/ResumeProcesses call names: all of them when it names none. */
export function processesOf(names: readonly string[]): ScalingProcess[] {
  if (names.length === 0) return [...scalingProcesses];
  for (const name of names) {
    if (!(scalingProcesses as readonly string[]).includes(name)) {
      throw validationError(`Process '${name}' is not a valid scaling process name`);
    }
  }
  return [...new Set(names)] as ScalingProcess[];
}
