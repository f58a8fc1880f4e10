/**
 * What the autoscaler asks of the load-balancer service, acting for the
 * group's account: that target groups exist, to register and deregister a
 * group's instances, and their health as the target groups see it.
 */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { type Client, isRemoteError } from '@nimbus/runtime';
import { validationError } from '../domain/autoscaling-errors.js';

/** How long a call may take: a controller pass never hangs on a silent peer. */
const callDeadlineMs = 30_000;

export interface LoadBalancerPort {
  /** ValidationError naming the first target group that does not exist. */
  checkTargetGroups(accountId: string, arns: readonly string[]): Promise<void>;
  register(accountId: string, targetGroupArn: string, instanceId: string): Promise<void>;
  /** A target group that is gone counts as deregistered. */
  deregister(accountId: string, targetGroupArn: string, instanceId: string): Promise<void>;
  /** Target state ("initial", "healthy", "unhealthy", "draining", ...) by instance id. */
  health(accountId: string, targetGroupArn: string): Promise<Map<string, string>>;
}

export function loadBalancerPortOf(client: Client<typeof LoadBalancingService>): LoadBalancerPort {
  return {
    async checkTargetGroups(accountId, arns) {
      for (const arn of arns) {
        try {
          await client.describeTargetGroups(
            { targetGroupArns: [arn] },
            { accountId, deadlineMs: callDeadlineMs },
          );
        } catch (error) {
          if (isRemoteError(error) && error.code === 'TargetGroupNotFound') {
            throw validationError(`Target group ${arn} not found`);
          }
          throw error;
        }
      }
    },
    async register(accountId, targetGroupArn, instanceId) {
      await client.registerTargets(
        { targetGroupArn, targets: [{ id: instanceId }] },
        { accountId, deadlineMs: callDeadlineMs },
      );
    },
    async deregister(accountId, targetGroupArn, instanceId) {
      try {
        await client.deregisterTargets(
          { targetGroupArn, targets: [{ id: instanceId }] },
          { accountId, deadlineMs: callDeadlineMs },
        );
      } catch (error) {
        if (isRemoteError(error) && error.code === 'TargetGroupNotFound') return;
        throw error;
      }
    },
    async health(accountId, targetGroupArn) {
      const { targetHealthDescriptions } = await client.describeTargetHealth(
        { targetGroupArn },
        { accountId, deadlineMs: callDeadlineMs },
      );
      const states = new Map<string, string>();
      for (const d of targetHealthDescriptions) {
        if (d.target) states.set(d.target.id, d.targetHealth?.state ?? '');
      }
      return states;
    },
  };
}
