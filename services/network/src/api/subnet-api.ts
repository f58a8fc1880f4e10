/**
 * CreateSubnet, DescribeSubnets, DeleteSubnet, ModifySubnetAttribute. A
 * subnet is created in a transaction that also rewrites its VPC, so that two
 * overlapping subnets created at once cannot both land (the second re-reads
 * and meets InvalidSubnet.Conflict) and a concurrent DeleteVpc sees it.
 * DeleteSubnet answers DependencyViolation while network interfaces use it,
 * deciding in two steps against concurrent interface creation (subnet-deletion.ts).
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
import { cidrsOverlap, formatCidr, parseCidr, parseSubnetCidr } from '../domain/cidr.js';
import { IdPrefix, newId } from '../domain/ids.js';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import {
  dependencyViolation,
  missingParameter,
  notFound,
  ResourceKinds,
  requireId,
} from '../domain/resource-ids.js';
import type { NetworkConfig } from '../network-config.js';
import { createTokenGuard } from '../state/create-tokens.js';
import type { DefaultVpcs } from '../state/default-vpc.js';
import type { NetworkState } from '../state/network-state.js';
import type { SubnetDeletion } from '../state/subnet-deletion.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { SubnetRecord } from '../state/vpc-records.js';
import { subnetFilterFields, toSubnet } from './vpc-views.js';

type SubnetApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'createSubnet' | 'describeSubnets' | 'deleteSubnet' | 'modifySubnetAttribute'
>;

/** The zone with the fewest subnets of the VPC, first in configuration order on a tie. */
function leastUsedZone(zones: readonly string[], siblings: readonly SubnetRecord[]): string {
  const count = (zone: string) => siblings.filter((s) => s.availabilityZone === zone).length;
  return zones.reduce((best, zone) => (count(zone) < count(best) ? zone : best));
}

export function createSubnetApi(
  state: NetworkState,
  defaults: DefaultVpcs,
  config: Pick<NetworkConfig, 'zones'>,
  deletion: SubnetDeletion,
): SubnetApi {
  const tokens = createTokenGuard(state.store, 'subnet');
  return {
    async createSubnet(request, { accountId }) {
      requireId(ResourceKinds.vpc, request.vpcId);
      if (request.cidrBlock === '') throw missingParameter('CidrBlock');
      const zone = request.availabilityZone;
      if (zone !== '' && !config.zones.includes(zone)) {
        throw invalidParameterValue(
          `Value (${zone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${config.zones.join(', ')}.`,
        );
      }
      const tags = tagsFor('subnet', request.tagSpecifications);
      const token = tokens.forRequest(accountId, request.clientToken, [
        request.vpcId,
        request.cidrBlock,
        zone,
        tags,
      ]);
      for (;;) {
        // Each round: a concurrent call with the token may have made it meanwhile.
        const before = await token.earlier();
        if (before) return { subnet: toSubnet((await state.subnet(accountId, before)).value) };
        const vpc = await state.vpc(accountId, request.vpcId);
        const cidr = parseSubnetCidr(request.cidrBlock, parseCidr(vpc.value.cidrBlock));
        const siblings = (await state.subnetsOf(accountId, vpc.value.vpcId)).map((s) => s.value);
        if (siblings.some((s) => cidrsOverlap(parseCidr(s.cidrBlock), cidr))) {
          // Perhaps the subnet a concurrent call with the same token just made.
          const winner = await token.earlier();
          if (winner) return { subnet: toSubnet((await state.subnet(accountId, winner)).value) };
          throw new NetworkError(
            NetworkErrorCode.InvalidSubnetConflict,
            `The CIDR '${formatCidr(cidr)}' conflicts with another subnet`,
          );
        }
        if (request.dryRun) throw dryRunOperation();
        const subnet: SubnetRecord = {
          subnetId: newId(IdPrefix.subnet),
          vpcId: vpc.value.vpcId,
          ownerId: accountId,
          cidrBlock: formatCidr(cidr),
          availabilityZone: zone || leastUsedZone(config.zones, siblings),
          defaultForAz: false,
          mapPublicIpOnLaunch: false,
          createTime: new Date().toISOString(),
          tags,
        };
        const result = await state.store.txn([
          txnOps.touch(vpc),
          txnOps.create(vpcKeys.subnet(accountId, subnet.subnetId), subnet),
          ...token.claim(subnet.subnetId),
        ]);
        if (result.ok) return { subnet: toSubnet(subnet) };
      }
    },

    async describeSubnets(request, { accountId }) {
      for (const id of request.subnetIds) requireId(ResourceKinds.subnet, id);
      checkIdsWithoutMaxResults('SubnetIds', request.subnetIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, subnetFilterFields, { tags: (s) => s.tags });
      if (request.dryRun) throw dryRunOperation();
      await defaults.ensureDefaultVpc(accountId);
      const all = (await state.subnets.list(vpcKeys.subnets(accountId))).map((r) => r.value);
      for (const id of request.subnetIds) {
        if (!all.some((s) => s.subnetId === id)) throw notFound(ResourceKinds.subnet, id);
      }
      const selected = all.filter(
        (s) => (request.subnetIds.length === 0 || request.subnetIds.includes(s.subnetId)) && matches(s),
      );
      const page = pageOf(selected, (s) => s.subnetId, { nextToken: request.nextToken, pageSize });
      const inUse = await state.addressesInUse(accountId);
      return {
        subnets: page.items.map((s) => toSubnet(s, inUse.get(s.subnetId))),
        nextToken: page.nextToken,
      };
    },

    async deleteSubnet(request, { accountId }) {
      requireId(ResourceKinds.subnet, request.subnetId);
      if (request.dryRun) {
        const subnet = await state.subnet(accountId, request.subnetId);
        if (await deletion.inUse(accountId, subnet.value.subnetId)) {
          throw dependencyViolation('subnet', subnet.value.subnetId);
        }
        throw dryRunOperation();
      }
      await deletion.deleteSubnet(accountId, request.subnetId);
      return {};
    },

    async modifySubnetAttribute(request, { accountId }) {
      requireId(ResourceKinds.subnet, request.subnetId);
      const mapPublicIpOnLaunch = request.mapPublicIpOnLaunch;
      if (mapPublicIpOnLaunch === undefined) throw missingParameter('MapPublicIpOnLaunch');
      for (;;) {
        const subnet = await state.subnet(accountId, request.subnetId);
        if (request.dryRun) throw dryRunOperation();
        if (await state.subnets.update(subnet, { ...subnet.value, mapPublicIpOnLaunch })) return {};
      }
    },
  };
}
