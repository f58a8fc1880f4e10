/**
 * AssignPrivateIpAddresses and UnassignPrivateIpAddresses: secondary private
 * addresses of an interface, from its subnet. As at creation, each address is
 * claimed by create-if-absent in the interface's own transaction (a lost race
 * for a picked address picks again); with AllowReassignment an address held by
 * another interface of the account moves, claim and both interfaces in one
 * transaction. An address that leaves an interface takes its Elastic IP's
 * association with it (disassociated in the same transaction).
 */
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { CallContext, ServiceImpl } from '@nimbus/runtime';
import { createRecords, dryRunOperation, type Stored } from '@nimbus/service-kit';
import type { TxnOp, TxnResult } from '@nimbus/store';
import { addressInUse, checkRequestedPrivateAddress } from '../domain/address-pool.js';
import { parseCidr } from '../domain/cidr.js';
import { maxPrivateAddressesPerInterface } from '../domain/interface-addresses.js';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { missingParameter, notFound, ResourceKinds, requireId } from '../domain/resource-ids.js';
import type { AddressRecord } from '../state/address-ledger.js';
import { createElasticIpAssociations } from '../state/elastic-ip-associations.js';
import { createNetworkState } from '../state/network-state.js';
import { createSubnetAddressChoices, type SubnetAddressChoices } from '../state/subnet-address-choices.js';
import { txnOps } from '../state/txn-ops.js';
import { vpcKeys } from '../state/vpc-keys.js';
import type { NetworkInterfaceRecord, PrivateIpClaim } from '../state/vpc-records.js';
import { publishAssociationEvent } from './address-events.js';
import type { ApiDeps } from './api-deps.js';

type PrivateIpAssignmentApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'assignPrivateIpAddresses' | 'unassignPrivateIpAddresses'
>;

function tooManyAddresses(): NetworkError {
  return new NetworkError(
    'PrivateIpAddressLimitExceeded',
    `An interface can have at most ${maxPrivateAddressesPerInterface} private addresses.`,
  );
}

/** The interface without these addresses and without the Elastic IPs on them. */
function without(eni: NetworkInterfaceRecord, ips: ReadonlySet<string>): NetworkInterfaceRecord {
  return {
    ...eni,
    privateIpAddresses: eni.privateIpAddresses.filter((ip) => !ips.has(ip)),
    elasticIps: (eni.elasticIps ?? []).filter((e) => !ips.has(e.privateIpAddress)),
  };
}

export function createPrivateIpAssignmentApi(
  deps: ApiDeps,
  addressChoices: SubnetAddressChoices = createSubnetAddressChoices(deps.store),
): PrivateIpAssignmentApi {
  const now = deps.now ?? Date.now;
  const state = createNetworkState(deps.store);
  const interfaces = state.networkInterfaces;
  const claims = createRecords<PrivateIpClaim>(deps.store);
  const elasticIps = createElasticIpAssociations(deps.store);

  const requireInterface = async (accountId: string, id: string) => {
    const eni = await interfaces.get(vpcKeys.networkInterface(accountId, id));
    if (!eni) throw notFound(ResourceKinds.networkInterface, id);
    return eni;
  };

  const publishDisassociated = async (context: CallContext, released: AddressRecord[], revision: number) => {
    for (const address of released) {
      if (address.association) {
        await publishAssociationEvent(
          deps.bus,
          context,
          'disassociated',
          address,
          address.association,
          revision,
        );
      }
    }
  };

  /** The ops that take `ips` away from another interface of the account, with their Elastic IPs. */
  const takeFrom = async (other: Stored<NetworkInterfaceRecord>, ips: ReadonlySet<string>) => {
    const released = await elasticIps.releaseFrom(other.value, ips, now());
    return {
      ops: [...released.ops, txnOps.update(other, without(other.value, ips))],
      disassociated: released.disassociated,
    };
  };

  return {
    async assignPrivateIpAddresses(request, context) {
      const { accountId } = context;
      const id = requireId(ResourceKinds.networkInterface, request.networkInterfaceId);
      const specific = request.privateIpAddresses;
      const count = request.secondaryPrivateIpAddressCount;
      if (specific.length === 0 && count === 0) {
        throw missingParameter('PrivateIpAddress or SecondaryPrivateIpAddressCount');
      }
      if (specific.length > 0 && count !== 0) {
        throw new NetworkError(
          NetworkErrorCode.InvalidParameterCombination,
          'You may specify either PrivateIpAddress or SecondaryPrivateIpAddressCount, not both',
        );
      }
      if (count < 0) throw invalidParameterValue('SecondaryPrivateIpAddressCount must be positive.');
      if (new Set(specific).size < specific.length) {
        throw invalidParameterValue('The same address is requested twice.');
      }
      for (;;) {
        const eni = await requireInterface(accountId, id);
        const subnet = await state.subnet(accountId, eni.value.subnetId);
        const cidr = parseCidr(subnet.value.cidrBlock);
        for (const ip of specific) {
          checkRequestedPrivateAddress(cidr, ip);
          if (eni.value.privateIpAddresses.includes(ip)) throw addressInUse(ip);
        }
        if (eni.value.privateIpAddresses.length + specific.length + count > maxPrivateAddressesPerInterface) {
          throw tooManyAddresses();
        }
        const claimKey = (ip: string) => vpcKeys.privateIp(accountId, eni.value.subnetId, ip);
        // Specific addresses another interface holds: refused, or taken from it with AllowReassignment.
        const moving = new Map<string, Stored<PrivateIpClaim>>();
        for (const ip of specific) {
          const claim = await claims.get(claimKey(ip));
          if (!claim) continue;
          if (!request.allowReassignment) throw addressInUse(ip);
          moving.set(ip, claim);
        }
        const holders = new Map<string, Stored<NetworkInterfaceRecord>>();
        for (const claim of moving.values()) {
          const holderId = claim.value.networkInterfaceId;
          const holder =
            holders.get(holderId) ?? (await interfaces.get(vpcKeys.networkInterface(accountId, holderId)));
          if (!holder) continue;
          holders.set(holderId, holder);
          if (moving.has(holder.value.privateIpAddresses[0] ?? '')) {
            throw invalidParameterValue(
              `The primary address ${holder.value.privateIpAddresses[0]} of ${holderId} cannot be reassigned.`,
            );
          }
        }
        if (request.dryRun) throw dryRunOperation();

        const ops: TxnOp[] = [];
        const disassociated: AddressRecord[] = [];
        for (const holder of holders.values()) {
          const ips = new Set(
            [...moving]
              .filter(([, c]) => c.value.networkInterfaceId === holder.value.networkInterfaceId)
              .map(([ip]) => ip),
          );
          const taking = await takeFrom(holder, ips);
          ops.push(...taking.ops);
          disassociated.push(...taking.disassociated);
        }
        const choice = await addressChoices.choose(
          accountId,
          eni.value.subnetId,
          cidr,
          { primary: eni.value.privateIpAddresses[0] ?? '', specific, count },
          eni.value.privateIpAddresses,
        );
        const [, ...chosen] = choice.addresses;
        for (const ip of chosen) {
          const moved = moving.get(ip);
          ops.push(
            moved
              ? txnOps.update(moved, { networkInterfaceId: id })
              : txnOps.create(claimKey(ip), { networkInterfaceId: id }),
          );
        }
        ops.push(
          txnOps.update(eni, {
            ...eni.value,
            privateIpAddresses: [...eni.value.privateIpAddresses, ...chosen],
          }),
        );
        let result: TxnResult = { ok: false, failedKey: '' };
        try {
          result = await deps.store.txn(ops);
        } finally {
          const failedKey = result.ok ? undefined : result.failedKey;
          const takenIp = chosen.find((ip) => !moving.has(ip) && claimKey(ip) === failedKey);
          choice.settle(
            result.ok ? { committed: true } : { committed: false, ...(takenIp ? { takenIp } : {}) },
          );
        }
        if (result.ok) {
          await publishDisassociated(context, disassociated, result.revision);
          return { networkInterfaceId: id, assignedPrivateIpAddresses: chosen };
        }
        const lost = specific.find((ip) => claimKey(ip) === result.failedKey);
        if (lost && !request.allowReassignment) throw addressInUse(lost);
        // The interface changed, or an address was taken meanwhile: decide again.
      }
    },

    async unassignPrivateIpAddresses(request, context) {
      const { accountId } = context;
      const id = requireId(ResourceKinds.networkInterface, request.networkInterfaceId);
      if (request.privateIpAddresses.length === 0) throw missingParameter('PrivateIpAddress');
      const ips = new Set(request.privateIpAddresses);
      for (;;) {
        const eni = await requireInterface(accountId, id);
        const [primary] = eni.value.privateIpAddresses;
        for (const ip of ips) {
          if (ip === primary) {
            throw invalidParameterValue(
              `The primary private IP address ${ip} of ${id} cannot be unassigned.`,
            );
          }
          if (!eni.value.privateIpAddresses.includes(ip)) {
            throw invalidParameterValue(
              `Some of the specified addresses are not assigned to interface ${id}`,
            );
          }
        }
        if (request.dryRun) throw dryRunOperation();
        const held = await Promise.all(
          [...ips].map((ip) => claims.get(vpcKeys.privateIp(accountId, eni.value.subnetId, ip))),
        );
        const released = await elasticIps.releaseFrom(eni.value, ips, now());
        const result = await deps.store.txn([
          ...held.flatMap((c) => (c?.value.networkInterfaceId === id ? [txnOps.delete(c)] : [])),
          ...released.ops,
          txnOps.update(eni, without(eni.value, ips)),
        ]);
        if (result.ok) {
          addressChoices.released(accountId, eni.value.subnetId, ips);
          await publishDisassociated(context, released.disassociated, result.revision);
          return {};
        }
      }
    },
  };
}
