/**
 * DeleteSecurityGroup against writes that start depending on the group at the
 * same time (an interface created in it, a rule naming it as its source): a
 * marked deletion (marked-deletion.ts). Those writes check the group's
 * revision in their transaction, so none commits after the deletion looked
 * for dependents, and none of them conflicts with the others.
 */
import type { Stored } from '@nimbus/service-kit';
import { NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { createMarkedDeletion } from './marked-deletion.js';
import type { NetworkState } from './network-state.js';
import { vpcKeys } from './vpc-keys.js';
import type { SecurityGroupRecord } from './vpc-records.js';

export interface SecurityGroupDeletion {
  /** What keeps the group (an interface in it, another group's rule naming it), or undefined. */
  dependent(accountId: string, group: SecurityGroupRecord): Promise<NetworkError | undefined>;
  /** DeleteSecurityGroup: NotFound if absent, DependencyViolation while something depends on it. */
  deleteGroup(accountId: string, groupId: string): Promise<void>;
  /** The group, not being deleted, for a write that comes to depend on it (checks its revision). */
  groupForDependent(accountId: string, groupId: string): Promise<Stored<SecurityGroupRecord>>;
}

export function createSecurityGroupDeletion(
  state: NetworkState,
  now: () => number = Date.now,
): SecurityGroupDeletion {
  const dependencyOf = (groupId: string, what: string) =>
    new NetworkError(
      NetworkErrorCode.DependencyViolation,
      `resource ${groupId} has a dependent object (${what})`,
    );
  async function dependent(accountId: string, group: SecurityGroupRecord) {
    const user = (await state.interfacesOf(accountId)).find((n) => n.groupIds.includes(group.groupId));
    if (user) return dependencyOf(group.groupId, `network interface ${user.networkInterfaceId}`);
    const referrer = (await state.groupsOf(accountId, group.vpcId)).find(
      (g) =>
        g.value.groupId !== group.groupId && g.value.rules.some((r) => r.referencedGroupId === group.groupId),
    );
    if (referrer) return dependencyOf(group.groupId, `rules of ${referrer.value.groupId}`);
    return undefined;
  }
  const deletion = createMarkedDeletion<SecurityGroupRecord>(
    state.store,
    {
      read: (accountId, groupId) => state.group(accountId, groupId),
      dependent,
      async alsoDelete(accountId, group) {
        const key = vpcKeys.groupName(accountId, group.value.vpcId, group.value.groupName);
        const name = await state.groupNames.get(key);
        return name?.value.groupId === group.value.groupId
          ? [{ type: 'delete', key, expectedRevision: name.revision }]
          : [];
      },
    },
    now,
  );
  return {
    dependent,
    deleteGroup: (accountId, groupId) => deletion.remove(accountId, groupId),
    groupForDependent: (accountId, groupId) => deletion.forDependent(accountId, groupId),
  };
}
