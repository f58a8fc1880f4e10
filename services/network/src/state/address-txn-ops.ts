/**
 * The store operations of an address change, for callers that must land it
 * in one transaction with their own writes (AssociateAddress also rewrites the
 * interfaces, DeleteNetworkInterface deletes one): the address record, the
 * pool's claim and the holding the usage report bills, each compare-and-swap
 * on the revision it was read at.
 */

import type { Stored } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { addressKeys } from './address-keys.js';
import type {
  AddressAssociation,
  AddressRecord,
  HoldingRecord,
  InterfacePublicIp,
  PublicIpClaim,
} from './address-ledger.js';

export interface AddressTxnOps {
  /**
   * The record with a new association (or none), and its holding's association
   * intervals to match: each association is one remap of the month.
   */
  reassociate(
    address: Stored<AddressRecord>,
    association: AddressAssociation | undefined,
    now: number,
  ): Promise<TxnOp[]>;
  /** Gives an interface's auto-assigned address back to the pool, its holding closed at `now`. */
  releaseInterfaceIp(accountId: string, assigned: Stored<InterfacePublicIp>, now: number): Promise<TxnOp[]>;
  /** The op that ends a holding at `now`, if the holding is there. */
  closeHolding(key: string, now: number): Promise<TxnOp[]>;
  /** The op that deletes the address's claim, if the claim is the holder's. */
  deleteClaim(publicIp: string, isHolder: (claim: PublicIpClaim) => boolean): Promise<TxnOp[]>;
}

const json = (value: unknown) => JSON.stringify(value);

export function createAddressTxnOps(store: Store): AddressTxnOps {
  const read = async <T>(key: string): Promise<Stored<T> | undefined> => {
    const kv = await store.get(key);
    return kv && { key: kv.key, value: JSON.parse(kv.value) as T, revision: kv.modRevision };
  };
  const changeHolding = async (
    key: string,
    change: (h: HoldingRecord) => HoldingRecord,
  ): Promise<TxnOp[]> => {
    const holding = await read<HoldingRecord>(key);
    if (!holding) return [];
    return [{ type: 'update', key, value: json(change(holding.value)), expectedRevision: holding.revision }];
  };
  const closeHolding = (key: string, now: number) =>
    changeHolding(key, (h) => ({ ...h, held: { ...h.held, until: now } }));
  const deleteClaim = async (publicIp: string, isHolder: (claim: PublicIpClaim) => boolean) => {
    const claim = await read<PublicIpClaim>(addressKeys.publicIp(publicIp));
    return claim && isHolder(claim.value)
      ? [{ type: 'delete' as const, key: claim.key, expectedRevision: claim.revision }]
      : [];
  };

  return {
    async reassociate(address, association, now) {
      const { association: _previous, ...unassociated } = address.value;
      const record: AddressRecord = association ? { ...unassociated, association } : unassociated;
      const holdingKey = addressKeys.holding(address.value.ownerId, address.value.allocationId);
      return [
        { type: 'update', key: address.key, value: json(record), expectedRevision: address.revision },
        ...(await changeHolding(holdingKey, (h) => {
          const closed = h.associations.map((a) => (a.until === undefined ? { ...a, until: now } : a));
          return { ...h, associations: association ? [...closed, { from: now }] : closed };
        })),
      ];
    },

    async releaseInterfaceIp(accountId, assigned, now) {
      return [
        { type: 'delete', key: assigned.key, expectedRevision: assigned.revision },
        ...(await deleteClaim(
          assigned.value.publicIp,
          (c) => c.networkInterfaceId === assigned.value.networkInterfaceId,
        )),
        ...(await closeHolding(addressKeys.holding(accountId, assigned.value.holdingId), now)),
      ];
    },

    closeHolding,
    deleteClaim,
  };
}
