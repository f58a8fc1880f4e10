/**
 * Elastic IP associations as store transactions. An association lives twice:
 * on the address record (what DescribeAddresses, the edge and the usage report
 * read) and on the interface record (`elasticIps`, one per private address).
 * Both are rewritten in one transaction with compare-and-swap on every record
 * read, so two calls racing for one address or one private address cannot
 * both win: the loser gets `undefined`, re-reads and decides again.
 */

import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { IdPrefix, newId } from '../domain/ids.js';
import { addressKeys } from './address-keys.js';
import type { AddressAssociation, AddressRecord, InterfacePublicIp } from './address-ledger.js';
import { createAddressTxnOps } from './address-txn-ops.js';
import { txnOps } from './txn-ops.js';
import { vpcKeys } from './vpc-keys.js';
import type { NetworkInterfaceRecord } from './vpc-records.js';

export interface AssociateInput {
  address: Stored<AddressRecord>;
  networkInterface: Stored<NetworkInterfaceRecord>;
  privateIpAddress: string;
  now: number;
}

export interface Associated {
  association: AddressAssociation;
  revision: number;
  /** The Elastic IP that held the private address before, now disassociated. */
  displaced?: AddressRecord;
  /** The auto-assigned public address the Elastic IP took the place of, back in the pool. */
  releasedPublicIp?: string;
}

export interface ElasticIpAssociations {
  /** Undefined when a record changed since it was read. */
  associate(input: AssociateInput): Promise<Associated | undefined>;
  /** Undefined when a record changed since it was read. */
  disassociate(address: Stored<AddressRecord>, now: number): Promise<{ revision: number } | undefined>;
  /**
   * The ops that disassociate the Elastic IPs on these private addresses of the
   * interface (every one when `privateIps` is undefined), for a caller that
   * rewrites or deletes the interface in the same transaction.
   */
  releaseFrom(
    networkInterface: NetworkInterfaceRecord,
    privateIps: ReadonlySet<string> | undefined,
    now: number,
  ): Promise<{ ops: TxnOp[]; disassociated: AddressRecord[] }>;
  /**
   * The ops that name `instanceId` (empty: none) in the associations of the
   * interface's Elastic IPs, as it is attached or detached; not a remap.
   */
  renameInstance(networkInterface: NetworkInterfaceRecord, instanceId: string): Promise<TxnOp[]>;
}

export function createElasticIpAssociations(store: Store): ElasticIpAssociations {
  const addressOps = createAddressTxnOps(store);
  const addresses = createRecords<AddressRecord>(store);
  const interfaces = createRecords<NetworkInterfaceRecord>(store);
  const interfaceIps = createRecords<InterfacePublicIp>(store);

  const withoutAllocation = (eni: NetworkInterfaceRecord, allocationId: string): NetworkInterfaceRecord => ({
    ...eni,
    elasticIps: (eni.elasticIps ?? []).filter((e) => e.allocationId !== allocationId),
  });

  /** The interface an association names, if it still names the address. */
  const associatedInterface = async (association: AddressAssociation, allocationId: string) => {
    const key = vpcKeys.networkInterface(association.networkInterfaceOwnerId, association.networkInterfaceId);
    const eni = await interfaces.get(key);
    return eni?.value.elasticIps?.some((e) => e.allocationId === allocationId) ? eni : undefined;
  };

  const releaseFrom: ElasticIpAssociations['releaseFrom'] = async (eni, privateIps, now) => {
    const ops: TxnOp[] = [];
    const disassociated: AddressRecord[] = [];
    for (const held of eni.elasticIps ?? []) {
      if (privateIps && !privateIps.has(held.privateIpAddress)) continue;
      const address = await addresses.get(addressKeys.address(eni.ownerId, held.allocationId));
      if (address?.value.association?.associationId !== held.associationId) continue;
      ops.push(...(await addressOps.reassociate(address, undefined, now)));
      disassociated.push(address.value);
    }
    return { ops, disassociated };
  };

  return {
    async associate({ address, networkInterface, privateIpAddress, now }) {
      const target = networkInterface.value;
      const { allocationId, publicIp } = address.value;
      const association: AddressAssociation = {
        associationId: newId(IdPrefix.association),
        instanceId: target.attachment?.instanceId ?? '',
        networkInterfaceId: target.networkInterfaceId,
        networkInterfaceOwnerId: target.ownerId,
        privateIpAddress,
      };
      const ops = await addressOps.reassociate(address, association, now);
      let next = withoutAllocation(target, allocationId);

      const previous = address.value.association;
      if (previous && previous.networkInterfaceId !== target.networkInterfaceId) {
        const from = await associatedInterface(previous, allocationId);
        if (from) ops.push(txnOps.update(from, withoutAllocation(from.value, allocationId)));
      }
      const occupant = next.elasticIps?.find((e) => e.privateIpAddress === privateIpAddress);
      let displaced: AddressRecord | undefined;
      if (occupant) {
        const released = await releaseFrom(next, new Set([privateIpAddress]), now);
        ops.push(...released.ops);
        displaced = released.disassociated[0];
        next = withoutAllocation(next, occupant.allocationId);
      }
      next = {
        ...next,
        elasticIps: [
          ...(next.elasticIps ?? []),
          { privateIpAddress, publicIp, allocationId, associationId: association.associationId },
        ],
      };
      ops.push(txnOps.update(networkInterface, next));

      // EC2 gives the auto-assigned address of the primary private address back when an Elastic IP replaces it.
      let releasedPublicIp: string | undefined;
      if (privateIpAddress === target.privateIpAddresses[0]) {
        const assigned = await interfaceIps.get(
          addressKeys.interfacePublicIp(target.ownerId, target.networkInterfaceId),
        );
        if (assigned) {
          ops.push(...(await addressOps.releaseInterfaceIp(target.ownerId, assigned, now)));
          releasedPublicIp = assigned.value.publicIp;
        } else {
          // None now: fail, and decide again, if compute's AllocatePublicIp lands one meanwhile.
          ops.push({
            type: 'check',
            key: addressKeys.interfacePublicIp(target.ownerId, target.networkInterfaceId),
            expectedRevision: 0,
          });
        }
      }
      const result = await store.txn(ops);
      if (!result.ok) return undefined;
      return {
        association,
        revision: result.revision,
        ...(displaced ? { displaced } : {}),
        ...(releasedPublicIp ? { releasedPublicIp } : {}),
      };
    },

    async disassociate(address, now) {
      const previous = address.value.association;
      if (!previous) return { revision: address.revision };
      const from = await associatedInterface(previous, address.value.allocationId);
      const result = await store.txn([
        ...(await addressOps.reassociate(address, undefined, now)),
        ...(from ? [txnOps.update(from, withoutAllocation(from.value, address.value.allocationId))] : []),
      ]);
      return result.ok ? { revision: result.revision } : undefined;
    },

    releaseFrom,

    async renameInstance(eni, instanceId) {
      const ops: TxnOp[] = [];
      for (const held of eni.elasticIps ?? []) {
        const address = await addresses.get(addressKeys.address(eni.ownerId, held.allocationId));
        const association = address?.value.association;
        if (!address || association?.associationId !== held.associationId) continue;
        ops.push(txnOps.update(address, { ...address.value, association: { ...association, instanceId } }));
      }
      return ops;
    },
  };
}
