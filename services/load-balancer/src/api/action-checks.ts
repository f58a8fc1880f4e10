/**
 * An action checked against the caller's target groups: each exists, speaks
 * the load balancer's protocol (HTTP groups for application load balancers,
 * TCP ones for network ones) and serves no other load balancer.
 */
import type { Action } from '@nimbus/api/gen/nimbus/loadbalancing/v1/listener_pb';
import { type ActionSpec, parseActions, targetGroupsOf } from '../domain/actions.js';
import { ElbError, ElbErrorCode } from '../domain/elb-errors.js';
import type { LoadBalancerRecord } from '../state/records.js';
import type { Lookups } from './lookups.js';

export async function checkedAction(
  lookups: Lookups,
  lb: LoadBalancerRecord,
  actions: readonly Action[],
): Promise<ActionSpec> {
  const action = parseActions(
    actions.map((a) => ({
      type: a.type,
      targetGroupArn: a.targetGroupArn,
      order: a.order,
      ...(a.redirectConfig ? { redirectConfig: a.redirectConfig } : {}),
      ...(a.fixedResponseConfig ? { fixedResponseConfig: a.fixedResponseConfig } : {}),
      ...(a.forwardConfig ? { forwardConfig: a.forwardConfig } : {}),
    })),
    lb.type,
  );
  for (const arn of targetGroupsOf(action)) {
    const group = (await lookups.targetGroup(lb.accountId, arn)).value;
    const wanted = lb.type === 'application' ? 'HTTP' : 'TCP';
    if (group.protocol !== wanted) {
      throw new ElbError(
        ElbErrorCode.incompatibleProtocols,
        `Target group '${arn}' uses ${group.protocol}; a ${lb.type} load balancer forwards to ${wanted} target groups`,
      );
    }
    if (group.vpcId !== lb.vpcId) {
      throw validationErrorVpc(arn, lb.vpcId);
    }
    const users = await lookups.loadBalancersOf(lb.accountId, arn);
    if (users.some((user) => user !== lb.arn)) {
      throw new ElbError(
        ElbErrorCode.targetGroupAssociationLimit,
        `Target group '${arn}' is already associated with another load balancer`,
      );
    }
  }
  return action;
}

function validationErrorVpc(arn: string, vpcId: string): ElbError {
  return new ElbError(
    ElbErrorCode.validation,
    `Target group '${arn}' is not in the load balancer's VPC '${vpcId}'`,
  );
}
