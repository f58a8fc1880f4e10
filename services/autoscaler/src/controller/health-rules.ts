/**
 * When a group's instance is ready for service and when it is unhealthy:
 * EC2 checks (state, status checks) always, and under ELB health checks what
 * the target groups say, each only after the grace period.
 */
import type { GroupMember, GroupRecord } from '../state/group-records.js';
import { isSuspended } from '../state/group-records.js';
import type { InstanceView } from './compute-port.js';
import type { Observations } from './group-plan.js';

/**
 * Target states that let a Pending member go InService under ELB health
 * checks: healthy, or unused (a target group no load balancer uses checks
 * nothing, so there is nothing to wait for).
 */
const servingStates = new Set(['healthy', 'unused']);

export function pastGrace(g: GroupRecord, m: GroupMember, now: number): boolean {
  return now >= m.launchedAt + g.healthCheckGracePeriod * 1000;
}

/** The first target group that reports the member unhealthy, under ELB health checks. */
export function failingTargetGroup(g: GroupRecord, m: GroupMember, seen: Observations): string | undefined {
  if (g.healthCheckType !== 'ELB' || !seen.targetHealth) return undefined;
  return g.targetGroupArns.find((arn) => seen.targetHealth?.get(arn)?.get(m.instanceId) === 'unhealthy');
}

/** Whether a running Pending member may go InService: registered, and serving where ELB checks count. */
export function inServiceReady(g: GroupRecord, m: GroupMember, seen: Observations): boolean {
  if (!seen.loadBalancing || g.targetGroupArns.length === 0 || isSuspended(g, 'AddToLoadBalancer')) {
    return true;
  }
  if (!g.targetGroupArns.every((arn) => m.registeredWith.includes(arn))) return false;
  if (g.healthCheckType !== 'ELB') return true;
  return g.targetGroupArns.every((arn) =>
    servingStates.has(seen.targetHealth?.get(arn)?.get(m.instanceId) ?? ''),
  );
}

/** Why an InService member is unhealthy, as the activity's cause says it; undefined when healthy. */
export function unhealthyBecause(
  g: GroupRecord,
  m: GroupMember,
  instance: InstanceView | undefined,
  seen: Observations,
): string | undefined {
  if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') {
    return `an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped (instance ${m.instanceId} is ${instance?.state ?? 'gone'})`;
  }
  if (instance.state !== 'running') {
    return `an instance was taken out of service in response to an EC2 health check indicating it has been terminated or stopped (instance ${m.instanceId} is ${instance.state})`;
  }
  if (!pastGrace(g, m, seen.now)) return undefined;
  const checks = seen.health.get(m.instanceId);
  if (checks && (checks.systemStatus === 'impaired' || checks.instanceStatus === 'impaired')) {
    return `an instance was taken out of service in response to an EC2 instance status checks failure (instance ${m.instanceId}: system ${checks.systemStatus}, instance ${checks.instanceStatus})`;
  }
  const failing = failingTargetGroup(g, m, seen);
  if (failing) {
    return `an instance was taken out of service in response to an ELB system health check failure (instance ${m.instanceId} in ${failing})`;
  }
  return undefined;
}
