/**
 * What the load balancer needs of the network service, acting for the
 * caller's account: subnets to place a load balancer in, an interface per
 * subnet for its private address, and a public address from the pool for an
 * internet-facing one. Tests give a fake; the service connects to 'network'.
 */
import { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { Client } from '@nimbus/runtime';
import { isRemoteError } from '@nimbus/runtime';
import type { IngressRule } from '../dataplane/ingress.js';
import { ElbError, ElbErrorCode } from '../domain/elb-errors.js';

export interface SubnetInfo {
  subnetId: string;
  vpcId: string;
  zoneName: string;
}

export interface NetworkPort {
  describeSubnets(accountId: string, subnetIds: readonly string[]): Promise<SubnetInfo[]>;
  /** Security groups that exist in `vpcId`; an InvalidSecurityGroup otherwise. */
  checkSecurityGroups(accountId: string, vpcId: string, groupIds: readonly string[]): Promise<void>;
  /** Idempotent by `clientToken`. */
  createInterface(
    accountId: string,
    input: { subnetId: string; description: string; clientToken: string },
  ): Promise<{ networkInterfaceId: string; privateIp: string }>;
  allocatePublicIp(accountId: string, networkInterfaceId: string): Promise<string>;
  releasePublicIp(accountId: string, networkInterfaceId: string): Promise<void>;
  /** The ingress rules of the groups, for the data plane. */
  describeIngress(accountId: string, groupIds: readonly string[]): Promise<IngressRule[]>;
  /** Idempotent: an interface already gone is fine. */
  deleteInterface(accountId: string, networkInterfaceId: string): Promise<void>;
}

function translate(error: unknown): never {
  if (isRemoteError(error)) {
    if (error.code === 'InvalidSubnetID.NotFound')
      throw new ElbError(ElbErrorCode.subnetNotFound, error.message);
    if (error.code === 'InvalidSubnetID.Malformed')
      throw new ElbError(ElbErrorCode.invalidSubnet, error.message);
    if (error.code.startsWith('InvalidGroup'))
      throw new ElbError(ElbErrorCode.invalidSecurityGroup, error.message);
  }
  throw error;
}

export function networkPortOf(network: Client<typeof NetworkService>): NetworkPort {
  return {
    async describeSubnets(accountId, subnetIds) {
      const answer = await network
        .describeSubnets({ subnetIds: [...subnetIds] }, { accountId })
        .catch(translate);
      return answer.subnets.map((s) => ({
        subnetId: s.subnetId,
        vpcId: s.vpcId,
        zoneName: s.availabilityZone,
      }));
    },
    async checkSecurityGroups(accountId, vpcId, groupIds) {
      if (groupIds.length === 0) return;
      const answer = await network
        .describeSecurityGroups({ groupIds: [...groupIds] }, { accountId })
        .catch(translate);
      for (const group of answer.securityGroups) {
        if (group.vpcId !== vpcId) {
          throw new ElbError(
            ElbErrorCode.invalidSecurityGroup,
            `Security group '${group.groupId}' is not in VPC '${vpcId}'`,
          );
        }
      }
    },
    async createInterface(accountId, input) {
      const answer = await network
        .createNetworkInterface(
          { subnetId: input.subnetId, description: input.description, clientToken: input.clientToken },
          { accountId },
        )
        .catch(translate);
      const eni = answer.networkInterface;
      if (!eni) throw new Error('CreateNetworkInterface answered without an interface');
      return { networkInterfaceId: eni.networkInterfaceId, privateIp: eni.privateIpAddress };
    },
    async allocatePublicIp(accountId, networkInterfaceId) {
      return (await network.allocatePublicIp({ networkInterfaceId }, { accountId })).publicIp;
    },
    async releasePublicIp(accountId, networkInterfaceId) {
      await network.releasePublicIp({ networkInterfaceId }, { accountId });
    },
    async describeIngress(accountId, groupIds) {
      const answer = await network.describeSecurityGroups({ groupIds: [...groupIds] }, { accountId });
      return answer.securityGroups.flatMap((g) =>
        g.ipPermissions.map((p) => ({
          protocol: p.ipProtocol,
          ...(p.fromPort === undefined ? {} : { fromPort: p.fromPort }),
          ...(p.toPort === undefined ? {} : { toPort: p.toPort }),
          cidrs: p.ipRanges.map((r) => r.cidrIp),
        })),
      );
    },
    async deleteInterface(accountId, networkInterfaceId) {
      try {
        await network.deleteNetworkInterface({ networkInterfaceId }, { accountId });
      } catch (error) {
        if (isRemoteError(error) && error.code === 'InvalidNetworkInterfaceID.NotFound') return;
        throw error;
      }
    },
  };
}

export { NetworkService };
