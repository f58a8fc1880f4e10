/** What the autoscaler asks of the network service: the zones of a group's subnets. */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { Client } from '@nimbus/runtime';
import { isRemoteError } from '@nimbus/runtime';
import { validationError } from '../domain/autoscaling-errors.js';
import type { GroupSubnet } from '../state/group-records.js';

/** How long a call may take: a controller pass never hangs on a silent peer. */
const callDeadlineMs = 30_000;

export interface NetworkPort {
  /** The subnets with their zones, in the order given; ValidationError for an unknown one. */
  subnets(accountId: string, subnetIds: readonly string[]): Promise<GroupSubnet[]>;
}

export function networkPortOf(client: Client<typeof NetworkService>): NetworkPort {
  return {
    async subnets(accountId, subnetIds) {
      try {
        const { subnets } = await client.describeSubnets(
          { subnetIds: [...subnetIds] },
          { accountId, deadlineMs: callDeadlineMs },
        );
        return subnetIds.map((subnetId) => {
          const subnet = subnets.find((s) => s.subnetId === subnetId);
          if (!subnet) throw validationError(`The subnet ID '${subnetId}' does not exist`);
          return { subnetId, zone: subnet.availabilityZone };
        });
      } catch (error) {
        if (isRemoteError(error) && error.code.startsWith('InvalidSubnetID')) {
          throw validationError(error.message);
        }
        throw error;
      }
    },
  };
}
