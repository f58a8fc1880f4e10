/**
 * The public addresses in the store, written only in transactions so that no
 * state is ever half done: the claim on an address, the Elastic IP record, the
 * account's address count and the holding the usage report reads are created
 * (and removed) together, or not at all. A process dying mid-call leaves either
 * the whole allocation or nothing; there is nothing to clean up.
 */

import type { Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { checkAddressQuota } from '../domain/address-pool.js';
import type { Interval } from '../domain/address-usage.js';
import { IdPrefix, newId } from '../domain/ids.js';
import { addressKeys } from './address-keys.js';
import { createAddressTxnOps } from './address-txn-ops.js';

export interface AddressAssociation {
  associationId: string;
  instanceId: string;
  networkInterfaceId: string;
  networkInterfaceOwnerId: string;
  privateIpAddress: string;
}

/** An Elastic IP. */
export interface AddressRecord {
  allocationId: string;
  publicIp: string;
  domain: 'vpc';
  ownerId: string;
  allocateTime: string;
  tags: { key: string; value: string }[];
  /** The AllocateAddress client token, forgotten when the address is released. */
  clientToken?: string;
  /** Set while associated; ReleaseAddress refuses it then. */
  association?: AddressAssociation;
}

/** Who holds one public address of the pool. */
export interface PublicIpClaim {
  publicIp: string;
  accountId: string;
  /** Held as an Elastic IP. */
  allocationId?: string;
  /** Held as an interface's auto-assigned address. */
  networkInterfaceId?: string;
}

/** An interface's auto-assigned public address. */
export interface InterfacePublicIp {
  publicIp: string;
  networkInterfaceId: string;
  holdingId: string;
}

/**
 * One holding of a public address by an account, kept after release so that
 * a month's report can still bill it; `AddressHolding` of the usage domain.
 */
export interface HoldingRecord {
  publicIp: string;
  /** Set for an Elastic IP (the holding id is then the allocation id). */
  allocationId?: string;
  networkInterfaceId?: string;
  held: Interval;
  /** Each association is one remap. */
  associations: Interval[];
}

interface AddressCount {
  held: number;
}

const json = (value: unknown) => JSON.stringify(value);

async function read<T>(store: Store, key: string): Promise<Stored<T> | undefined> {
  const kv = await store.get(key);
  return kv && { key: kv.key, value: JSON.parse(kv.value) as T, revision: kv.modRevision };
}

/** Thrown out of a claim when the interface already has a public address: the caller keeps it. */
/** The interface changed (e.g. an Elastic IP arrived) while its public IP was being claimed: decide again. */
export class InterfaceChanged extends Error {
  override name = 'InterfaceChanged';
}

export class AlreadyAssigned extends Error {
  override name = 'AlreadyAssigned';
  constructor(readonly publicIp: string) {
    super(`the interface already has the public address ${publicIp}`);
  }
}

/** What an AllocateAddress client token stands for. */
export interface ClientTokenRecord {
  allocationId: string;
  publicIp: string;
}

/** Thrown out of a claim when a call with the same client token allocated meanwhile. */
export class TokenAlreadyUsed extends Error {
  override name = 'TokenAlreadyUsed';
  constructor(readonly allocation: ClientTokenRecord) {
    super(`the client token already allocated ${allocation.allocationId}`);
  }
}

export interface AddressLedger {
  /**
   * Takes `publicIp` as a new Elastic IP of the account, within its quota
   * (`AddressLimitExceeded`, re-checked on every lost race for the count).
   * Undefined when the address is taken.
   */
  claimElasticIp(input: {
    accountId: string;
    publicIp: string;
    tags: AddressRecord['tags'];
    quota: number;
    now: number;
    /** Recorded with the allocation; `TokenAlreadyUsed` when another call recorded it first. */
    clientToken?: string;
  }): Promise<{ record: AddressRecord; revision: number } | undefined>;
  clientToken(accountId: string, token: string): Promise<ClientTokenRecord | undefined>;
  /** Gives the address back; false when the record changed since it was read (re-read and retry). */
  releaseElasticIp(address: Stored<AddressRecord>, now: number): Promise<boolean>;
  /**
   * Associates the address (moving it if it is associated elsewhere): one more
   * remap in the month. False when the record changed since it was read.
   */
  associate(address: Stored<AddressRecord>, association: AddressAssociation, now: number): Promise<boolean>;
  /** Ends the association. False when the record changed since it was read. */
  disassociate(address: Stored<AddressRecord>, now: number): Promise<boolean>;
  address(accountId: string, allocationId: string): Promise<Stored<AddressRecord> | undefined>;
  addresses(accountId: string): Promise<AddressRecord[]>;
  claim(publicIp: string): Promise<PublicIpClaim | undefined>;
  /** Every claimed address of the pool. */
  claimedIps(): Promise<string[]>;
  /**
   * Takes `publicIp` for the interface; undefined when the address is taken,
   * `AlreadyAssigned` when the interface got one meanwhile.
   */
  claimInterfaceIp(input: {
    accountId: string;
    networkInterfaceId: string;
    publicIp: string;
    now: number;
    /** The interface record as read: the claim fails with `InterfaceChanged` if it changed since. */
    interfaceRecord?: { key: string; revision: number };
  }): Promise<boolean>;
  interfaceIp(accountId: string, networkInterfaceId: string): Promise<Stored<InterfacePublicIp> | undefined>;
  /** False when something changed since `assigned` was read. */
  releaseInterfaceIp(accountId: string, assigned: Stored<InterfacePublicIp>, now: number): Promise<boolean>;
  holdings(accountId: string): Promise<HoldingRecord[]>;
}

export function createAddressLedger(store: Store): AddressLedger {
  const listValues = async <T>(prefix: string): Promise<{ key: string; value: T }[]> => {
    const values: { key: string; value: T }[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.list(prefix, { limit: 500, ...(after === undefined ? {} : { after }) });
      for (const kv of page.items) values.push({ key: kv.key, value: JSON.parse(kv.value) as T });
      if (!page.more) return values;
      after = page.items.at(-1)?.key;
    }
  };

  const ops = createAddressTxnOps(store);
  const { closeHolding, deleteClaim } = ops;
  const reassociate = async (
    address: Stored<AddressRecord>,
    association: AddressAssociation | undefined,
    now: number,
  ): Promise<boolean> => (await store.txn(await ops.reassociate(address, association, now))).ok;

  return {
    async claimElasticIp({ accountId, publicIp, tags, quota, now, clientToken }) {
      const countKey = addressKeys.addressCount(accountId);
      const claimKey = addressKeys.publicIp(publicIp);
      const tokenKey = clientToken ? addressKeys.clientToken(accountId, clientToken) : undefined;
      for (;;) {
        const count = await read<AddressCount>(store, countKey);
        const held = count?.value.held ?? 0;
        checkAddressQuota(held, quota);
        const record: AddressRecord = {
          allocationId: newId(IdPrefix.allocation),
          publicIp,
          domain: 'vpc',
          ownerId: accountId,
          allocateTime: new Date(now).toISOString(),
          tags,
          ...(clientToken ? { clientToken } : {}),
        };
        const holding: HoldingRecord = {
          publicIp,
          allocationId: record.allocationId,
          held: { from: now },
          associations: [],
        };
        const claim: PublicIpClaim = { publicIp, accountId, allocationId: record.allocationId };
        const result = await store.txn([
          count
            ? {
                type: 'update',
                key: countKey,
                value: json({ held: held + 1 }),
                expectedRevision: count.revision,
              }
            : { type: 'create', key: countKey, value: json({ held: 1 }) },
          { type: 'create', key: claimKey, value: json(claim) },
          { type: 'create', key: addressKeys.address(accountId, record.allocationId), value: json(record) },
          { type: 'create', key: addressKeys.holding(accountId, record.allocationId), value: json(holding) },
          ...(tokenKey
            ? [
                {
                  type: 'create' as const,
                  key: tokenKey,
                  value: json({ allocationId: record.allocationId, publicIp }),
                },
              ]
            : []),
        ]);
        if (result.ok) return { record, revision: result.revision };
        if (result.failedKey === claimKey) return undefined;
        if (tokenKey && result.failedKey === tokenKey) {
          const used = await read<ClientTokenRecord>(store, tokenKey);
          if (used) throw new TokenAlreadyUsed(used.value);
        }
        // The count moved (another allocation or release) or, rarely, the new id exists: again.
      }
    },

    async releaseElasticIp(address, now) {
      const { ownerId, allocationId, publicIp, clientToken } = address.value;
      const count = await read<AddressCount>(store, addressKeys.addressCount(ownerId));
      const token = clientToken ? await store.get(addressKeys.clientToken(ownerId, clientToken)) : undefined;
      const result = await store.txn([
        { type: 'delete', key: address.key, expectedRevision: address.revision },
        ...(await deleteClaim(publicIp, (c) => c.allocationId === allocationId)),
        ...(count
          ? [
              {
                type: 'update' as const,
                key: count.key,
                value: json({ held: Math.max(0, count.value.held - 1) }),
                expectedRevision: count.revision,
              },
            ]
          : []),
        ...(await closeHolding(addressKeys.holding(ownerId, allocationId), now)),
        ...(token ? [{ type: 'delete' as const, key: token.key, expectedRevision: token.modRevision }] : []),
      ]);
      return result.ok;
    },

    associate: (address, association, now) => reassociate(address, association, now),
    disassociate: (address, now) => reassociate(address, undefined, now),

    async clientToken(accountId, token) {
      return (await read<ClientTokenRecord>(store, addressKeys.clientToken(accountId, token)))?.value;
    },

    address: (accountId, allocationId) =>
      read<AddressRecord>(store, addressKeys.address(accountId, allocationId)),

    async addresses(accountId) {
      return (await listValues<AddressRecord>(addressKeys.addresses(accountId))).map((r) => r.value);
    },

    async claim(publicIp) {
      return (await read<PublicIpClaim>(store, addressKeys.publicIp(publicIp)))?.value;
    },

    async claimedIps() {
      const prefix = addressKeys.publicIps();
      return (await listValues<PublicIpClaim>(prefix)).map((r) => r.key.slice(prefix.length));
    },

    async claimInterfaceIp({ accountId, networkInterfaceId, publicIp, now, interfaceRecord }) {
      const interfaceKey = addressKeys.interfacePublicIp(accountId, networkInterfaceId);
      const claimKey = addressKeys.publicIp(publicIp);
      for (;;) {
        const holdingId = newId('pubip');
        const assigned: InterfacePublicIp = { publicIp, networkInterfaceId, holdingId };
        const holding: HoldingRecord = {
          publicIp,
          networkInterfaceId,
          held: { from: now },
          associations: [],
        };
        const claim: PublicIpClaim = { publicIp, accountId, networkInterfaceId };
        const result = await store.txn([
          { type: 'create', key: interfaceKey, value: json(assigned) },
          { type: 'create', key: claimKey, value: json(claim) },
          { type: 'create', key: addressKeys.holding(accountId, holdingId), value: json(holding) },
          ...(interfaceRecord
            ? [
                {
                  type: 'check' as const,
                  key: interfaceRecord.key,
                  expectedRevision: interfaceRecord.revision,
                },
              ]
            : []),
        ]);
        if (result.ok) return true;
        if (result.failedKey === claimKey) return false;
        if (result.failedKey === interfaceRecord?.key) throw new InterfaceChanged();
        if (result.failedKey === interfaceKey) {
          const existing = await read<InterfacePublicIp>(store, interfaceKey);
          if (existing) throw new AlreadyAssigned(existing.value.publicIp);
        }
      }
    },

    interfaceIp: (accountId, networkInterfaceId) =>
      read<InterfacePublicIp>(store, addressKeys.interfacePublicIp(accountId, networkInterfaceId)),

    async releaseInterfaceIp(accountId, assigned, now) {
      return (await store.txn(await ops.releaseInterfaceIp(accountId, assigned, now))).ok;
    },

    async holdings(accountId) {
      return (await listValues<HoldingRecord>(addressKeys.holdings(accountId))).map((r) => r.value);
    },
  };
}
