/**
 * What the load balancer needs of compute: an instance target's state and
 * private address, asked for the caller's account (DescribeInstances).
 */
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import { type Client, isRemoteError } from '@nimbus/runtime';
import { ElbError, ElbErrorCode } from '../domain/elb-errors.js';

export interface InstanceInfo {
  instanceId: string;
  /** pending, running, stopping, stopped, shutting-down, terminated. */
  state: string;
  privateIp: string;
  vpcId: string;
  zoneName: string;
}

export interface ComputePort {
  /** Every named instance; an InvalidTarget naming the unknown ones. */
  describeInstances(accountId: string, instanceIds: readonly string[]): Promise<InstanceInfo[]>;
}

export function computePortOf(compute: Client<typeof ComputeService>): ComputePort {
  return {
    async describeInstances(accountId, instanceIds) {
      try {
        const answer = await compute.describeInstances({ instanceIds: [...instanceIds] }, { accountId });
        return answer.reservations.flatMap((r) =>
          r.instances.map((i) => ({
            instanceId: i.instanceId,
            state: i.state?.name ?? '',
            privateIp: i.privateIpAddress,
            vpcId: i.vpcId,
            zoneName: i.placement?.availabilityZone ?? '',
          })),
        );
      } catch (error) {
        if (isRemoteError(error) && error.code.startsWith('InvalidInstanceID')) {
          throw new ElbError(
            ElbErrorCode.invalidTarget,
            `The following targets are not valid instances: ${error.message}`,
          );
        }
        throw error;
      }
    },
  };
}

export { ComputeService };
