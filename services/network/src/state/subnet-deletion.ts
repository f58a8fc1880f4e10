/**
 * DeleteSubnet against concurrent CreateNetworkInterface: a marked deletion
 * (marked-deletion.ts), so that interface creation only checks the subnet's
 * revision and creates in one subnet never conflict with each other.
 */
import type { Stored } from '@nimbus/service-kit';
import { dependencyViolation } from '../domain/resource-ids.js';
import { createMarkedDeletion } from './marked-deletion.js';
import type { NetworkState } from './network-state.js';
import type { SubnetRecord } from './vpc-records.js';

export { markWaitMs, staleMarkMs } from './marked-deletion.js';

export interface SubnetDeletion {
  /** True while an interface of the account is in the subnet. */
  inUse(accountId: string, subnetId: string): Promise<boolean>;
  /** DeleteSubnet: NotFound if absent, DependencyViolation while interfaces use it. */
  deleteSubnet(accountId: string, subnetId: string): Promise<void>;
  /**
   * The subnet, not being deleted, for a write that must not land in a
   * deleted subnet: the write checks the returned revision in its own
   * transaction. Waits out a deletion in progress; NotFound if the subnet went.
   */
  subnetForNewInterface(accountId: string, subnetId: string): Promise<Stored<SubnetRecord>>;
}

export function createSubnetDeletion(state: NetworkState, now: () => number = Date.now): SubnetDeletion {
  const inUse = async (accountId: string, subnetId: string) =>
    (await state.interfacesOf(accountId)).some((n) => n.subnetId === subnetId);
  const deletion = createMarkedDeletion<SubnetRecord>(
    state.store,
    {
      read: (accountId, subnetId) => state.subnet(accountId, subnetId),
      dependent: async (accountId, subnet) =>
        (await inUse(accountId, subnet.subnetId))
          ? dependencyViolation('subnet', subnet.subnetId)
          : undefined,
    },
    now,
  );
  return {
    inUse,
    deleteSubnet: (accountId, subnetId) => deletion.remove(accountId, subnetId),
    subnetForNewInterface: (accountId, subnetId) => deletion.forDependent(accountId, subnetId),
  };
}
