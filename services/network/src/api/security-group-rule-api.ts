/**
 * AuthorizeSecurityGroupIngress/Egress, RevokeSecurityGroupIngress/Egress,
 * DescribeSecurityGroupRules. A group's rules live in the group's record and
 * change only by compare-and-swap: a concurrent change makes the write fail,
 * and the call re-reads the group and applies itself again, so two authorizes
 * at once both land (or the second meets a clear Duplicate or limit error),
 * never a lost update. Each change publishes
 * `nimbus.network.security-group.rules-changed` (a trigger: consumers re-read the group).
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { EventBus } from '@nimbus/events';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  dryRunOperation,
  pageOf,
  resolveMaxResults,
  type Stored,
  type StoredTag,
  tagsFor,
} from '@nimbus/service-kit';
import { NetworkError } from '../domain/network-errors.js';
import { notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import {
  authorizeRules,
  type IpPermissionInput,
  type RuleDirection,
  revokeRules,
} from '../domain/security-group-rules.js';
import type { SecurityGroupDeletion } from '../state/security-group-deletion.js';
import type { SecurityGroupLookups } from '../state/security-group-lookups.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { SecurityGroupRecord, StoredRule } from '../state/vpc-records.js';
import { type PermissionRequest, permissionsOf, resolvePermissions } from './permission-requests.js';
import {
  type RuleOfGroup,
  securityGroupRuleFilterFields,
  toIpPermissions,
  toSecurityGroupRule,
} from './security-group-views.js';

type RuleApi = Pick<
  ServiceImpl<typeof NetworkService>,
  | 'authorizeSecurityGroupIngress'
  | 'authorizeSecurityGroupEgress'
  | 'revokeSecurityGroupIngress'
  | 'revokeSecurityGroupEgress'
  | 'describeSecurityGroupRules'
>;

export const rulesChangedSubject = 'nimbus.network.security-group.rules-changed';

/** Compare-and-swap attempts before a call gives up under constant contention. */
const maxAttempts = 25;

export function createSecurityGroupRuleApi(
  lookups: SecurityGroupLookups,
  deletion: SecurityGroupDeletion,
  bus: EventBus,
): RuleApi {
  const { state } = lookups;

  /**
   * Applies `change` to the group's freshly read rules and writes them back if
   * the group did not change meanwhile; otherwise reads and applies again.
   */
  async function changeRules<R>(
    accountId: string,
    target: { groupId: string; groupName: string; dryRun: boolean },
    change: (group: SecurityGroupRecord) => { rules: StoredRule[]; result: R },
    /** Other groups the new rules name: each still at the revision read when the change lands. */
    sources: (group: SecurityGroupRecord) => Promise<Stored<SecurityGroupRecord>[]> = async () => [],
  ): Promise<R> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const group = await lookups.byIdOrName(accountId, target.groupId, target.groupName);
      const { rules, result } = change(group.value);
      if (target.dryRun) throw dryRunOperation();
      const written = await state.store.txn([
        txnOps.update(group, { ...group.value, rules }),
        ...(await sources(group.value)).map((source) => txnOps.check(source)),
      ]);
      if (written.ok) {
        // Best effort: the change is committed either way, and consumers resync from the store.
        bus
          .publish({
            subject: rulesChangedSubject,
            id: `${group.value.groupId}@${written.revision}`,
            accountId,
            resourceId: group.value.groupId,
            revision: written.revision,
          })
          .catch(() => undefined);
        return result;
      }
    }
    throw new NetworkError(
      'IncorrectState',
      `The security group '${target.groupId || target.groupName}' is being changed by other calls; try again.`,
    );
  }

  /** The permissions with source names resolved, and every source group checked to exist. */
  async function sourcesChecked(
    accountId: string,
    target: { groupId: string; groupName: string },
    permissions: readonly PermissionRequest[],
  ): Promise<IpPermissionInput[]> {
    const group = await lookups.byIdOrName(accountId, target.groupId, target.groupName);
    const resolved = await resolvePermissions(permissions, (name) =>
      lookups.idByName(accountId, group.value.vpcId, name),
    );
    await sourceGroups(accountId, group.value.groupId, resolved);
    return resolved;
  }

  /** The groups other than `groupId` that the permissions name, none being deleted (NotFound if gone). */
  function sourceGroups(accountId: string, groupId: string, permissions: readonly IpPermissionInput[]) {
    const sources = new Set(
      permissions.flatMap((p) => (p.userIdGroupPairs ?? []).map((pair) => pair.groupId)),
    );
    sources.delete(groupId);
    return Promise.all([...sources].map((id) => deletion.groupForDependent(accountId, id)));
  }

  async function authorize(
    accountId: string,
    request: {
      groupId: string;
      groupName: string;
      dryRun: boolean;
      tagSpecifications: Parameters<typeof tagsFor>[1];
    },
    permissions: readonly PermissionRequest[],
    direction: RuleDirection,
  ) {
    const tags: StoredTag[] = tagsFor('security-group-rule', request.tagSpecifications);
    const resolved = await sourcesChecked(accountId, request, permissions);
    const added = await changeRules(
      accountId,
      request,
      (group) => {
        const fresh: StoredRule[] = authorizeRules(group.rules, resolved, direction).map((r) =>
          tags.length > 0 ? { ...r, tags } : r,
        );
        return { rules: [...group.rules, ...fresh], result: { group, fresh } };
      },
      (group) => sourceGroups(accountId, group.groupId, resolved),
    );
    return {
      return: true,
      securityGroupRules: added.fresh.map((rule) => toSecurityGroupRule({ group: added.group, rule })),
    };
  }

  async function revoke(
    accountId: string,
    request: { groupId: string; groupName: string; dryRun: boolean; securityGroupRuleIds: readonly string[] },
    permissions: readonly PermissionRequest[],
    direction: RuleDirection,
  ) {
    for (const id of request.securityGroupRuleIds) requireId(ResourceKinds.securityGroupRule, id);
    const resolved =
      permissions.length > 0 || request.securityGroupRuleIds.length === 0
        ? await sourcesChecked(accountId, request, permissions)
        : [];
    const outcome = await changeRules(accountId, request, (group) => {
      const revoked = revokeRules(
        group.rules,
        { permissions: resolved, ruleIds: request.securityGroupRuleIds },
        direction,
      );
      return { rules: revoked.remaining, result: { group, unknown: revoked.unknown } };
    });
    return {
      return: true,
      unknownIpPermissions: toIpPermissions(outcome.unknown, outcome.group.ownerId),
    };
  }

  return {
    async authorizeSecurityGroupIngress(request, { accountId }) {
      return authorize(accountId, request, permissionsOf(request), 'ingress');
    },
    async authorizeSecurityGroupEgress(request, { accountId }) {
      return authorize(accountId, { ...request, groupName: '' }, request.ipPermissions, 'egress');
    },
    async revokeSecurityGroupIngress(request, { accountId }) {
      return revoke(accountId, request, permissionsOf(request), 'ingress');
    },
    async revokeSecurityGroupEgress(request, { accountId }) {
      return revoke(accountId, { ...request, groupName: '' }, request.ipPermissions, 'egress');
    },

    async describeSecurityGroupRules(request, { accountId }) {
      const ids = request.securityGroupRuleIds;
      for (const id of ids) requireId(ResourceKinds.securityGroupRule, id);
      checkIdsWithoutMaxResults('SecurityGroupRuleIds', ids, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, securityGroupRuleFilterFields, {
        tags: ({ rule }) => rule.tags ?? [],
      });
      if (request.dryRun) throw dryRunOperation();
      await lookups.defaults.ensureDefaultVpc(accountId);
      const groups = await state.groups.list(vpcKeys.securityGroups(accountId));
      const all: RuleOfGroup[] = groups.flatMap(({ value: group }) =>
        group.rules.map((rule) => ({ group, rule })),
      );
      for (const id of ids) {
        if (!all.some(({ rule }) => rule.securityGroupRuleId === id)) {
          throw notFound(ResourceKinds.securityGroupRule, id);
        }
      }
      const selected = all.filter(
        (r) => (ids.length === 0 || ids.includes(r.rule.securityGroupRuleId)) && matches(r),
      );
      const page = pageOf(selected, ({ group, rule }) => `${group.groupId}/${rule.securityGroupRuleId}`, {
        nextToken: request.nextToken,
        pageSize,
      });
      return { securityGroupRules: page.items.map(toSecurityGroupRule), nextToken: page.nextToken };
    },
  };
}
