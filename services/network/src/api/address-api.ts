/**
 * AllocateAddress, ReleaseAddress, DescribeAddresses and GetAddressUsageReport
 * (Elastic IPs), plus compute's AllocatePublicIp and ReleasePublicIp from the
 * same pool. Every address is held by exactly one holder: its claim key is
 * created in the same transaction as the record, the account's count (the
 * quota) and the holding the usage report bills (see state/address-ledger.ts).
 *
 * AssociateAddress and DisassociateAddress are address-association-api.ts;
 * ReleaseAddress refuses an associated address.
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { CallContext, ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  createRecords,
  dryRunOperation,
  type FilterFields,
  pageOf,
  resolveMaxResults,
  tagsFor,
  toTags,
} from '@nimbus/service-kit';
import { addressInUse } from '../domain/address-pool.js';
import { parseAddressPriceList } from '../domain/address-prices.js';
import { addressUsageReport, monthOf } from '../domain/address-usage.js';
import { tryParseIpv4 } from '../domain/cidr.js';
import { IdPrefix, isId } from '../domain/ids.js';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import {
  type AddressRecord,
  type ClientTokenRecord,
  createAddressLedger,
  TokenAlreadyUsed,
} from '../state/address-ledger.js';
import type { NetworkInterfaceRecord } from '../state/vpc-records.js';
import { createAddressAssociationApi } from './address-association-api.js';
import {
  addressAssociated,
  addressNotFound,
  allocationIdMalformed,
  allocationIdNotFound,
  publicIpv4PoolNotFound,
} from './address-errors.js';
import type { ApiDeps } from './api-deps.js';
import { createPublicIpApi } from './public-ip-api.js';
import { createPublicIpPool } from './public-ip-pool.js';

type AddressApi = Pick<
  ServiceImpl<typeof NetworkService>,
  | 'allocateAddress'
  | 'releaseAddress'
  | 'describeAddresses'
  | 'getAddressUsageReport'
  | 'allocatePublicIp'
  | 'releasePublicIp'
  | 'associateAddress'
  | 'disassociateAddress'
>;

/** EC2's name for the pool Amazon's own addresses come from: Nimbus's one pool. */
const publicIpv4Pool = 'amazon';

const filterFields: FilterFields<AddressRecord> = {
  'allocation-id': (a) => a.allocationId,
  'public-ip': (a) => a.publicIp,
  'association-id': (a) => a.association?.associationId,
  'instance-id': (a) => a.association?.instanceId,
  'network-interface-id': (a) => a.association?.networkInterfaceId,
  'network-interface-owner-id': (a) => a.association?.networkInterfaceOwnerId,
  'private-ip-address': (a) => a.association?.privateIpAddress,
  domain: (a) => a.domain,
  'public-ipv4-pool': () => publicIpv4Pool,
};

export function createAddressApi(deps: ApiDeps): AddressApi {
  const now = deps.now ?? Date.now;
  const ledger = createAddressLedger(deps.store);
  const pool = createPublicIpPool(deps.config.publicPoolCidr, ledger);
  const networkBorderGroup = deps.config.region;
  const prices = parseAddressPriceList(deps.config.addressPrices);

  /** Events are triggers (consumers re-read state and resync): a bus outage must not undo a committed change. */
  const publish = async (context: CallContext, verb: string, address: AddressRecord, revision: number) => {
    try {
      await deps.bus.publish({
        subject: `nimbus.network.address.${verb}`,
        id: `${address.allocationId}.${verb}`,
        accountId: address.ownerId,
        resourceId: address.allocationId,
        revision,
        detailJson: JSON.stringify({ publicIp: address.publicIp }),
        requestId: context.requestId,
      });
    } catch (error) {
      context.logger.warn(
        { err: error, allocationId: address.allocationId },
        `address ${verb} event not published`,
      );
    }
  };

  const requestedAddress = (address: string): string | undefined => {
    if (address === '') return undefined;
    const ip = tryParseIpv4(address);
    if (ip === undefined || ip < pool.first || ip > pool.last) {
      throw invalidParameterValue(`The address ${address} is not in the public IPv4 pool.`);
    }
    return address;
  };

  /** The account's Elastic IP named by allocation id or (legacy) public address. */
  const findAddress = async (accountId: string, request: { allocationId: string; publicIp: string }) => {
    if (request.allocationId !== '') {
      if (!isId(IdPrefix.allocation, request.allocationId)) throw allocationIdMalformed(request.allocationId);
      const address = await ledger.address(accountId, request.allocationId);
      if (!address) throw allocationIdNotFound(request.allocationId);
      return address;
    }
    const claim = await ledger.claim(request.publicIp);
    const address =
      claim?.accountId === accountId && claim.allocationId
        ? await ledger.address(accountId, claim.allocationId)
        : undefined;
    if (!address) throw addressNotFound(request.publicIp);
    return address;
  };

  /** The answer a call with an already used client token gets: the first call's allocation. */
  const replay = async (accountId: string, used: ClientTokenRecord) => {
    const record = await ledger.address(accountId, used.allocationId);
    return {
      allocationId: used.allocationId,
      publicIp: used.publicIp,
      domain: 'vpc',
      publicIpv4Pool,
      networkBorderGroup,
      tags: toTags(record?.value.tags ?? []),
    };
  };

  return {
    async allocateAddress(request, context) {
      const { accountId } = context;
      if (request.domain !== '' && request.domain !== 'vpc') {
        throw invalidParameterValue(`Invalid value '${request.domain}' for domain: only 'vpc' is supported.`);
      }
      if (request.publicIpv4Pool !== '' && request.publicIpv4Pool !== publicIpv4Pool) {
        throw publicIpv4PoolNotFound(request.publicIpv4Pool);
      }
      const tags = tagsFor('elastic-ip', request.tagSpecifications);
      const wanted = requestedAddress(request.address);
      if (request.dryRun) throw dryRunOperation();
      const clientToken = request.clientToken === '' ? undefined : request.clientToken;
      if (clientToken !== undefined && clientToken.length > 64) {
        throw invalidParameterValue('The client token must be at most 64 characters.');
      }
      const used = clientToken === undefined ? undefined : await ledger.clientToken(accountId, clientToken);
      if (used) return replay(accountId, used);

      let allocated: { record: AddressRecord; revision: number } | undefined;
      const claim = async (ip: string) => {
        allocated = await ledger.claimElasticIp({
          accountId,
          publicIp: ip,
          tags,
          quota: deps.config.addressQuota,
          now: now(),
          ...(clientToken === undefined ? {} : { clientToken }),
        });
        return allocated !== undefined;
      };
      try {
        if (wanted === undefined) {
          await pool.allocate(claim);
        } else {
          if (!(await claim(wanted))) throw addressInUse(wanted);
          pool.noteTaken(wanted);
        }
      } catch (error) {
        // A concurrent call with the same token allocated first: its allocation is the answer.
        if (error instanceof TokenAlreadyUsed) return replay(accountId, error.allocation);
        throw error;
      }
      if (!allocated) throw new Error('the pool reported an address without a claim');
      const { record, revision } = allocated;
      await publish(context, 'allocated', record, revision);
      return {
        allocationId: record.allocationId,
        publicIp: record.publicIp,
        domain: record.domain,
        publicIpv4Pool,
        networkBorderGroup,
        tags: toTags(record.tags),
      };
    },

    async releaseAddress(request, context) {
      if (request.allocationId === '' && request.publicIp === '') {
        throw new NetworkError(
          NetworkErrorCode.MissingParameter,
          'The request must contain the parameter AllocationId or PublicIp',
        );
      }
      if (request.allocationId !== '' && request.publicIp !== '') {
        throw new NetworkError(
          NetworkErrorCode.InvalidParameterCombination,
          'You may specify either AllocationId or PublicIp, not both',
        );
      }
      if (request.networkBorderGroup !== '' && request.networkBorderGroup !== networkBorderGroup) {
        throw invalidParameterValue(`The network border group '${request.networkBorderGroup}' is invalid.`);
      }
      // A concurrent change of the record (tags, association) is re-read and checked again.
      for (let first = true; ; first = false) {
        const address = await findAddress(context.accountId, request).catch((error: unknown) => {
          // Released by a concurrent call after this one found it: the address is gone, as asked.
          if (!first && error instanceof NetworkError) return undefined;
          throw error;
        });
        if (!address) return {};
        if (address.value.association) throw addressAssociated(address.value.allocationId);
        if (request.dryRun) throw dryRunOperation();
        if (await ledger.releaseElasticIp(address, now())) {
          pool.noteReleased(address.value.publicIp);
          await publish(context, 'released', address.value, address.revision);
          return {};
        }
      }
    },

    async describeAddresses(request, { accountId }) {
      checkIdsWithoutMaxResults('AllocationIds', request.allocationIds, request.maxResults);
      checkIdsWithoutMaxResults('PublicIps', request.publicIps, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      for (const id of request.allocationIds) {
        if (!isId(IdPrefix.allocation, id)) throw allocationIdMalformed(id);
      }
      const matches = compileFilters(request.filters, filterFields, { tags: (a) => a.tags });
      if (request.dryRun) throw dryRunOperation();
      const all = await ledger.addresses(accountId);
      for (const id of request.allocationIds) {
        if (!all.some((a) => a.allocationId === id)) throw allocationIdNotFound(id);
      }
      for (const ip of request.publicIps) {
        if (!all.some((a) => a.publicIp === ip)) throw addressNotFound(ip);
      }
      const selected = all.filter(
        (a) =>
          (request.allocationIds.length === 0 || request.allocationIds.includes(a.allocationId)) &&
          (request.publicIps.length === 0 || request.publicIps.includes(a.publicIp)) &&
          matches(a),
      );
      const page = pageOf(selected, (a) => a.allocationId, { nextToken: request.nextToken, pageSize });
      return {
        addresses: page.items.map((a) => ({
          allocationId: a.allocationId,
          publicIp: a.publicIp,
          domain: a.domain,
          associationId: a.association?.associationId ?? '',
          instanceId: a.association?.instanceId ?? '',
          networkInterfaceId: a.association?.networkInterfaceId ?? '',
          networkInterfaceOwnerId: a.association?.networkInterfaceOwnerId ?? '',
          privateIpAddress: a.association?.privateIpAddress ?? '',
          publicIpv4Pool,
          networkBorderGroup,
          tags: toTags(a.tags),
        })),
        nextToken: page.nextToken,
      };
    },

    async getAddressUsageReport(request, { accountId }) {
      const at = now();
      const month = request.month === '' ? monthOf(at) : request.month;
      const report = addressUsageReport({
        accountId,
        month,
        holdings: await ledger.holdings(accountId),
        now: at,
        prices,
      });
      return { report };
    },

    ...createPublicIpApi({
      ledger,
      pool,
      interfaces: createRecords<NetworkInterfaceRecord>(deps.store),
      now,
    }),
    ...createAddressAssociationApi({ store: deps.store, bus: deps.bus, ledger, pool, now, findAddress }),
  };
}
