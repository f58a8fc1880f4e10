/**
 * CreateNetworkInterface, DescribeNetworkInterfaces, DeleteNetworkInterface.
 * An interface, the claims of its private addresses (create-if-absent on
 * `private-ips/<account>/<subnet>/<ip>`, so no address is ever held twice)
 * and a check that its subnet is still at the revision read (unmarked; see
 * subnet-deletion.ts for how that keeps a concurrent DeleteSubnet safe) are
 * one transaction: no claim outlives a failed create, and a lost race for an
 * address picks again (state/subnet-address-choices.ts chooses). Deleting an interface disassociates its Elastic IPs
 * in the same transaction, as EC2 does; an attached one is refused.
 */
import { randomBytes } from 'node:crypto';
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  argumentsDigest,
  checkClientToken,
  checkIdsWithoutMaxResults,
  compileFilters,
  createClientTokens,
  createRecords,
  dryRunOperation,
  pageOf,
  resolveMaxResults,
  type Stored,
  tagsFor,
} from '@nimbus/service-kit';
import type { TxnResult } from '@nimbus/store';
import { addressInUse } from '../domain/address-pool.js';
import { parseCidr } from '../domain/cidr.js';
import { IdPrefix, newId } from '../domain/ids.js';
import { type AddressRequest, checkAddressRequest } from '../domain/interface-addresses.js';
import { invalidParameterValue } from '../domain/network-errors.js';
import { notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import {
  checkGroupsPerInterface,
  defaultGroupName,
  validateGroupDescription,
} from '../domain/security-group-names.js';
import { createAddressTxnOps } from '../state/address-txn-ops.js';
import { createElasticIpAssociations } from '../state/elastic-ip-associations.js';
import { createInterfacePublicIps } from '../state/interface-public-ips.js';
import { createNetworkState, type NetworkState } from '../state/network-state.js';
import { createSecurityGroupDeletion, type SecurityGroupDeletion } from '../state/security-group-deletion.js';
import { createSubnetAddressChoices, type SubnetAddressChoices } from '../state/subnet-address-choices.js';
import { createSubnetDeletion } from '../state/subnet-deletion.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { NetworkInterfaceRecord, PrivateIpClaim, SecurityGroupRecord } from '../state/vpc-records.js';
import type { ApiDeps } from './api-deps.js';
import { publishInterfaceEvent } from './interface-events.js';
import { interfaceInUse } from './network-interface-errors.js';
import { networkInterfaceFilterFields, toNetworkInterface } from './network-interface-views.js';

type NetworkInterfaceApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'createNetworkInterface' | 'describeNetworkInterfaces' | 'deleteNetworkInterface'
>;

/** A locally administered unicast MAC, as EC2's `02:…` addresses. */
function newMacAddress(): string {
  return ['02', ...[...randomBytes(5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * The interface's groups: the ones asked for (in the subnet's VPC), or the
 * VPC's default group; none being deleted, for the create to check.
 */
async function groupsFor(
  state: NetworkState,
  groupDeletion: SecurityGroupDeletion,
  accountId: string,
  vpcId: string,
  groups: readonly string[],
): Promise<Stored<SecurityGroupRecord>[]> {
  if (groups.length === 0) {
    const claim = await state.groupNames.get(vpcKeys.groupName(accountId, vpcId, defaultGroupName));
    return claim ? [await groupDeletion.groupForDependent(accountId, claim.value.groupId)] : [];
  }
  const found = [];
  for (const id of checkGroupsPerInterface(groups)) {
    const group = await groupDeletion.groupForDependent(accountId, id);
    if (group.value.vpcId !== vpcId) {
      throw invalidParameterValue(`Security group ${id} and subnet belong to different networks.`);
    }
    found.push(group);
  }
  return found;
}

export function createNetworkInterfaceApi(
  deps: ApiDeps,
  addressChoices: SubnetAddressChoices = createSubnetAddressChoices(deps.store),
): NetworkInterfaceApi {
  const state = createNetworkState(deps.store);
  const interfaces = createRecords<NetworkInterfaceRecord>(deps.store);
  const claims = createRecords<PrivateIpClaim>(deps.store);
  const elasticIps = createElasticIpAssociations(deps.store);
  const addressOps = createAddressTxnOps(deps.store);
  const publicIps = createInterfacePublicIps(deps.store);
  const now = deps.now ?? Date.now;
  const deletion = createSubnetDeletion(state, now);
  const groupDeletion = createSecurityGroupDeletion(state, now);
  const clientTokens = createClientTokens(deps.store, vpcKeys.interfaceClientToken);
  /** The interface an earlier call with this token made, as it is now. */
  const madeBefore = async (accountId: string, token: string, digest: string) => {
    const id = await clientTokens.earlier(accountId, token, digest);
    if (id === undefined) return undefined;
    const made = await interfaces.get(vpcKeys.networkInterface(accountId, id));
    if (!made) throw notFound(ResourceKinds.networkInterface, id);
    return {
      networkInterface: toNetworkInterface(made.value, await groupNames(accountId)),
      clientToken: token,
    };
  };
  const groupNames = async (accountId: string) =>
    new Map(
      (await state.groups.list(vpcKeys.securityGroups(accountId))).map((g) => [
        g.value.groupId,
        g.value.groupName,
      ]),
    );

  return {
    async createNetworkInterface(request, context) {
      const { accountId } = context;
      requireId(ResourceKinds.subnet, request.subnetId);
      if (request.description !== '') validateGroupDescription(request.description);
      const explicitPrimary = request.privateIpAddresses.find((p) => p.primary)?.privateIpAddress ?? '';
      const wanted: AddressRequest = {
        primary: request.privateIpAddress || explicitPrimary,
        specific: request.privateIpAddresses
          .filter((p) => !p.primary && p.privateIpAddress !== request.privateIpAddress)
          .map((p) => p.privateIpAddress),
        count: request.secondaryPrivateIpAddressCount,
      };
      const tags = tagsFor('network-interface', request.tagSpecifications);
      checkClientToken(request.clientToken);
      const digest = argumentsDigest([
        request.subnetId,
        request.description,
        wanted,
        [...request.groups].sort(),
        tags,
      ]);
      if (request.clientToken !== '') {
        const made = await madeBefore(accountId, request.clientToken, digest);
        if (made) return made;
      }
      for (;;) {
        const subnet = await deletion.subnetForNewInterface(accountId, request.subnetId);
        const cidr = parseCidr(subnet.value.cidrBlock);
        checkAddressRequest(cidr, wanted);
        const groups = await groupsFor(state, groupDeletion, accountId, subnet.value.vpcId, request.groups);
        const groupIds = groups.map((group) => group.value.groupId);
        if (request.dryRun) throw dryRunOperation();
        const choice = await addressChoices.choose(accountId, subnet.value.subnetId, cidr, wanted);
        const addresses = choice.addresses;
        const eni: NetworkInterfaceRecord = {
          networkInterfaceId: newId(IdPrefix.networkInterface),
          subnetId: subnet.value.subnetId,
          vpcId: subnet.value.vpcId,
          availabilityZone: subnet.value.availabilityZone,
          description: request.description,
          ownerId: accountId,
          privateIpAddresses: addresses,
          groupIds,
          macAddress: newMacAddress(),
          createTime: new Date().toISOString(),
          tags,
        };
        const claimKey = (ip: string) => vpcKeys.privateIp(accountId, subnet.value.subnetId, ip);
        let result: TxnResult = { ok: false, failedKey: '' };
        try {
          result = await state.store.txn([
            txnOps.check(subnet),
            ...groups.map((group) => txnOps.check(group)),
            ...addresses.map((ip) =>
              txnOps.create(claimKey(ip), { networkInterfaceId: eni.networkInterfaceId }),
            ),
            txnOps.create(vpcKeys.networkInterface(accountId, eni.networkInterfaceId), eni),
            ...(request.clientToken === ''
              ? []
              : [clientTokens.claim(accountId, request.clientToken, digest, eni.networkInterfaceId)]),
          ]);
        } finally {
          const failedKey = result.ok ? undefined : result.failedKey;
          const takenIp = addresses.find((ip) => claimKey(ip) === failedKey);
          choice.settle(
            result.ok ? { committed: true } : { committed: false, ...(takenIp ? { takenIp } : {}) },
          );
        }
        if (result.ok) {
          await publishInterfaceEvent(deps.bus, context, 'created', eni, result.revision);
          return {
            networkInterface: toNetworkInterface(eni, await groupNames(accountId)),
            clientToken: request.clientToken,
          };
        }
        // The same token won by a concurrent call: answer as it did.
        if (
          request.clientToken !== '' &&
          result.failedKey === vpcKeys.interfaceClientToken(accountId, request.clientToken)
        ) {
          const made = await madeBefore(accountId, request.clientToken, digest);
          if (made) return made;
        }
        const requested = [wanted.primary, ...wanted.specific].find(
          (ip) => ip !== '' && claimKey(ip) === result.failedKey,
        );
        if (requested) throw addressInUse(requested);
        // The subnet changed or a picked address was taken meanwhile: choose again.
      }
    },

    async describeNetworkInterfaces(request, { accountId }) {
      const ids = request.networkInterfaceIds;
      for (const id of ids) requireId(ResourceKinds.networkInterface, id);
      checkIdsWithoutMaxResults('NetworkInterfaceIds', ids, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, networkInterfaceFilterFields, { tags: (n) => n.tags });
      if (request.dryRun) throw dryRunOperation();
      const all = (await interfaces.list(vpcKeys.networkInterfaces(accountId))).map((r) => r.value);
      for (const id of ids) {
        if (!all.some((n) => n.networkInterfaceId === id)) throw notFound(ResourceKinds.networkInterface, id);
      }
      const selected = all.filter(
        (n) => (ids.length === 0 || ids.includes(n.networkInterfaceId)) && matches(n),
      );
      const page = pageOf(selected, (n) => n.networkInterfaceId, { nextToken: request.nextToken, pageSize });
      const names = await groupNames(accountId);
      const autoIps = await publicIps.interfaceIps(accountId);
      return {
        networkInterfaces: page.items.map((n) =>
          toNetworkInterface(n, names, autoIps.get(n.networkInterfaceId)),
        ),
        nextToken: page.nextToken,
      };
    },

    async deleteNetworkInterface(request, context) {
      const { accountId } = context;
      const id = requireId(ResourceKinds.networkInterface, request.networkInterfaceId);
      for (;;) {
        const eni = await interfaces.get(vpcKeys.networkInterface(accountId, id));
        if (!eni) throw notFound(ResourceKinds.networkInterface, id);
        if (eni.value.attachment) throw interfaceInUse(id);
        if (request.dryRun) throw dryRunOperation();
        const held = await Promise.all(
          eni.value.privateIpAddresses.map((ip) =>
            claims.get(vpcKeys.privateIp(accountId, eni.value.subnetId, ip)),
          ),
        );
        const mine = held.filter((c) => c?.value.networkInterfaceId === id).flatMap((c) => (c ? [c] : []));
        // EC2 disassociates the interface's Elastic IPs with it; its auto-assigned address goes back to the pool.
        const released = await elasticIps.releaseFrom(eni.value, undefined, now());
        const autoIp = await publicIps.interfaceIp(accountId, id);
        const result = await state.store.txn([
          txnOps.delete(eni),
          ...mine.map(txnOps.delete),
          ...released.ops,
          ...(autoIp ? await addressOps.releaseInterfaceIp(accountId, autoIp, now()) : []),
        ]);
        if (result.ok) {
          addressChoices.released(
            accountId,
            eni.value.subnetId,
            mine.map((c) => c.key.slice(c.key.lastIndexOf('/') + 1)),
          );
          await publishInterfaceEvent(deps.bus, context, 'deleted', eni.value, result.revision);
          return {};
        }
      }
    },
  };
}
