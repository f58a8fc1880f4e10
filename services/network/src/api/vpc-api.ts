/**
 * CreateVpc, DescribeVpcs, DeleteVpc, and (from subnet-api.ts) the subnet
 * actions. A VPC is created with its default security group in one
 * transaction; DeleteVpc removes both, and only while nothing else is in the
 * VPC: creators of subnets and groups rewrite the VPC in their own
 * transaction, so a delete that saw no dependents fails if one appeared since.
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
} from '@nimbus/service-kit';
import { formatCidr, parseVpcCidr, requireLoopbackCidr } from '../domain/cidr.js';
import { invalidParameterValue } from '../domain/network-errors.js';
import {
  dependencyViolation,
  missingParameter,
  notFound,
  ResourceKinds,
  requireId,
} from '../domain/resource-ids.js';
import { defaultGroupName } from '../domain/security-group-names.js';
import { createTokenGuard } from '../state/create-tokens.js';
import { createDefaultVpcs, type DefaultVpcs } from '../state/default-vpc.js';
import { createNetworkState, type NetworkState } from '../state/network-state.js';
import { newVpc } from '../state/new-vpc.js';
import { createSubnetDeletion } from '../state/subnet-deletion.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { ApiDeps } from './api-deps.js';
import { createSubnetApi } from './subnet-api.js';
import { toVpc, vpcFilterFields } from './vpc-views.js';

type VpcApi = Pick<ServiceImpl<typeof NetworkService>, 'createVpc' | 'describeVpcs' | 'deleteVpc'>;

export function createVpcApi(deps: ApiDeps): Partial<ServiceImpl<typeof NetworkService>> {
  const state = createNetworkState(deps.store);
  const defaults = createDefaultVpcs(state, deps.config);
  const deletion = createSubnetDeletion(state, deps.now);
  return { ...vpcHandlers(state, defaults), ...createSubnetApi(state, defaults, deps.config, deletion) };
}

function vpcHandlers(state: NetworkState, defaults: DefaultVpcs): VpcApi {
  const tokens = createTokenGuard(state.store, 'vpc');
  const made = async (accountId: string, vpcId: string) => ({
    vpc: toVpc((await state.vpc(accountId, vpcId)).value),
  });
  return {
    async createVpc(request, { accountId }) {
      if (request.cidrBlock === '') throw missingParameter('CidrBlock');
      const cidr = parseVpcCidr(request.cidrBlock);
      requireLoopbackCidr(cidr);
      if (request.instanceTenancy !== '' && request.instanceTenancy !== 'default') {
        throw invalidParameterValue(
          `Value (${request.instanceTenancy}) for parameter instanceTenancy is invalid. Nimbus offers default tenancy only.`,
        );
      }
      const tags = tagsFor('vpc', request.tagSpecifications);
      const token = tokens.forRequest(accountId, request.clientToken, [formatCidr(cidr), tags]);
      const before = await token.earlier();
      if (before) return made(accountId, before);
      if (request.dryRun) throw dryRunOperation();
      const fresh = newVpc(accountId, { cidrBlock: formatCidr(cidr), isDefault: false, tags });
      const result = await state.store.txn([...fresh.ops, ...token.claim(fresh.vpc.vpcId)]);
      if (!result.ok && token.lostTo(result.failedKey)) return made(accountId, (await token.earlier()) ?? '');
      if (!result.ok) throw new Error(`creating ${fresh.vpc.vpcId} conflicted on ${result.failedKey}`);
      return { vpc: toVpc(fresh.vpc) };
    },

    async describeVpcs(request, { accountId }) {
      for (const id of request.vpcIds) requireId(ResourceKinds.vpc, id);
      checkIdsWithoutMaxResults('VpcIds', request.vpcIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, vpcFilterFields, { tags: (v) => v.tags });
      if (request.dryRun) throw dryRunOperation();
      await defaults.ensureDefaultVpc(accountId);
      const all = (await state.vpcs.list(vpcKeys.vpcs(accountId))).map((r) => r.value);
      for (const id of request.vpcIds) {
        if (!all.some((v) => v.vpcId === id)) throw notFound(ResourceKinds.vpc, id);
      }
      const selected = all.filter(
        (v) => (request.vpcIds.length === 0 || request.vpcIds.includes(v.vpcId)) && matches(v),
      );
      const page = pageOf(selected, (v) => v.vpcId, { nextToken: request.nextToken, pageSize });
      return { vpcs: page.items.map(toVpc), nextToken: page.nextToken };
    },

    async deleteVpc(request, { accountId }) {
      requireId(ResourceKinds.vpc, request.vpcId);
      for (;;) {
        const vpc = await state.vpc(accountId, request.vpcId);
        const [subnets, groups] = await Promise.all([
          state.subnetsOf(accountId, vpc.value.vpcId),
          state.groupsOf(accountId, vpc.value.vpcId),
        ]);
        const ownGroups = groups.filter((g) => g.value.groupName === defaultGroupName);
        if (subnets.length > 0 || ownGroups.length < groups.length) {
          throw dependencyViolation('vpc', vpc.value.vpcId);
        }
        if (request.dryRun) throw dryRunOperation();
        const names = await Promise.all(
          ownGroups.map((g) =>
            state.groupNames.get(vpcKeys.groupName(accountId, g.value.vpcId, g.value.groupName)),
          ),
        );
        const result = await state.store.txn([
          txnOps.delete(vpc),
          ...ownGroups.map(txnOps.delete),
          ...names.flatMap((n) => (n ? [txnOps.delete(n)] : [])),
        ]);
        if (result.ok) return {};
        // Something in the VPC changed since it was read: look again.
      }
    },
  };
}
