/**
 * CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup, and (from
 * security-group-rule-api.ts) the rule actions. A group's name is claimed per
 * VPC by create-if-absent in the group's own transaction, which also rewrites
 * the VPC so that a concurrent DeleteVpc sees the new group.
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  dryRunOperation,
  pageOf,
  resolveMaxResults,
  tagsFor,
  toTags,
} from '@nimbus/service-kit';
import { IdPrefix, newId } from '../domain/ids.js';
import { NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { missingParameter, notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import {
  checkGroupDeletable,
  validateGroupDescription,
  validateGroupName,
} from '../domain/security-group-names.js';
import { defaultEgressRule } from '../domain/security-group-rules.js';
import { createTokenGuard } from '../state/create-tokens.js';
import { createDefaultVpcs } from '../state/default-vpc.js';
import { createNetworkState } from '../state/network-state.js';
import { createSecurityGroupDeletion, type SecurityGroupDeletion } from '../state/security-group-deletion.js';
import { createSecurityGroupLookups } from '../state/security-group-lookups.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { SecurityGroupRecord } from '../state/vpc-records.js';
import type { ApiDeps } from './api-deps.js';
import { createSecurityGroupRuleApi } from './security-group-rule-api.js';
import { securityGroupFilterFields, toSecurityGroup } from './security-group-views.js';

type SecurityGroupApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'createSecurityGroup' | 'describeSecurityGroups' | 'deleteSecurityGroup'
>;

export function createSecurityGroupApi(deps: ApiDeps): Partial<ServiceImpl<typeof NetworkService>> {
  const state = createNetworkState(deps.store);
  const lookups = createSecurityGroupLookups(state, createDefaultVpcs(state, deps.config));
  const deletion = createSecurityGroupDeletion(state, deps.now);
  return { ...groupHandlers(lookups, deletion), ...createSecurityGroupRuleApi(lookups, deletion, deps.bus) };
}

function groupHandlers(
  lookups: ReturnType<typeof createSecurityGroupLookups>,
  deletion: SecurityGroupDeletion,
): SecurityGroupApi {
  const { state, defaults } = lookups;
  const tokens = createTokenGuard(state.store, 'security-group');
  const made = async (accountId: string, groupId: string) => {
    const group = await state.group(accountId, groupId);
    return { groupId, tags: toTags(group.value.tags) };
  };
  return {
    async createSecurityGroup(request, { accountId }) {
      validateGroupName(request.groupName);
      validateGroupDescription(request.description);
      if (request.vpcId !== '') requireId(ResourceKinds.vpc, request.vpcId);
      const tags = tagsFor('security-group', request.tagSpecifications);
      const token = tokens.forRequest(accountId, request.clientToken, [
        request.groupName,
        request.description,
        request.vpcId,
        tags,
      ]);
      const before = await token.earlier();
      if (before) return made(accountId, before);
      for (;;) {
        const vpcId = request.vpcId || (await defaults.requireDefaultVpc(accountId)).vpcId;
        const vpc = await state.vpc(accountId, vpcId);
        const nameKey = vpcKeys.groupName(accountId, vpcId, request.groupName);
        const duplicate = () =>
          new NetworkError(
            NetworkErrorCode.InvalidGroupDuplicate,
            `The security group '${request.groupName}' already exists for VPC '${vpcId}'`,
          );
        if (await state.groupNames.get(nameKey)) {
          // Taken, perhaps by a concurrent call with the same token.
          const winner = await token.earlier();
          if (winner) return made(accountId, winner);
          throw duplicate();
        }
        if (request.dryRun) throw dryRunOperation();
        const groupId = newId(IdPrefix.securityGroup);
        const group: SecurityGroupRecord = {
          groupId,
          groupName: request.groupName,
          description: request.description,
          vpcId,
          ownerId: accountId,
          createTime: new Date().toISOString(),
          tags,
          rules: [defaultEgressRule()],
        };
        const result = await state.store.txn([
          txnOps.touch(vpc),
          txnOps.create(nameKey, { groupId }),
          txnOps.create(vpcKeys.securityGroup(accountId, groupId), group),
          ...token.claim(groupId),
        ]);
        if (result.ok) return { groupId, tags: toTags(tags) };
        if (token.lostTo(result.failedKey)) return made(accountId, (await token.earlier()) ?? '');
        if (result.failedKey === nameKey) {
          // The same token may have won the name a moment ago.
          const winner = await token.earlier();
          if (winner) return made(accountId, winner);
          throw duplicate();
        }
      }
    },

    async describeSecurityGroups(request, { accountId }) {
      for (const id of request.groupIds) requireId(ResourceKinds.securityGroup, id);
      checkIdsWithoutMaxResults('GroupIds', request.groupIds, request.maxResults);
      checkIdsWithoutMaxResults('GroupNames', request.groupNames, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, securityGroupFilterFields, { tags: (g) => g.tags });
      if (request.dryRun) throw dryRunOperation();
      const defaultVpc = await defaults.ensureDefaultVpc(accountId);
      const all = (await state.groups.list(vpcKeys.securityGroups(accountId))).map((r) => r.value);
      for (const id of request.groupIds) {
        if (!all.some((g) => g.groupId === id)) throw notFound(ResourceKinds.securityGroup, id);
      }
      // Names, as in EC2, are those of the default VPC's groups.
      const named = request.groupNames.map((name) => {
        const group = all.find((g) => g.groupName === name && g.vpcId === defaultVpc?.vpcId);
        if (!group) throw lookups.nameNotFound(name, defaultVpc?.vpcId);
        return group.groupId;
      });
      const selected = all.filter(
        (g) =>
          (request.groupIds.length === 0 || request.groupIds.includes(g.groupId)) &&
          (named.length === 0 || named.includes(g.groupId)) &&
          matches(g),
      );
      const page = pageOf(selected, (g) => g.groupId, { nextToken: request.nextToken, pageSize });
      return { securityGroups: page.items.map(toSecurityGroup), nextToken: page.nextToken };
    },

    async deleteSecurityGroup(request, { accountId }) {
      if (request.groupId === '' && request.groupName === '') throw missingParameter('GroupId');
      const group = await lookups.byIdOrName(accountId, request.groupId, request.groupName);
      checkGroupDeletable(group.value.groupName, group.value.groupId);
      if (request.dryRun) {
        const because = await deletion.dependent(accountId, group.value);
        if (because) throw because;
        throw dryRunOperation();
      }
      await deletion.deleteGroup(accountId, group.value.groupId);
      return { return: true, groupId: group.value.groupId };
    },
  };
}
