/**
 * Which private addresses an interface tries to claim in its subnet. The
 * store's create-if-absent on each claim key stays the only authority; this
 * only chooses, so that concurrent callers rarely try the same address and
 * nobody lists every claim of the subnet on every attempt.
 *
 * - When no other choice for the subnet is under way in this process, the
 *   subnet's claims are listed and the lowest free addresses chosen: EC2's
 *   habit, and predictable for a lone caller (EC2 does not promise it).
 * - Otherwise the choice comes from a per-subnet pool of the addresses this
 *   process knows taken, starting at a random free address (`random-start`),
 *   so concurrent callers here and in other replicas rarely collide. A claim
 *   lost to another replica marks its address taken; a pool that finds
 *   nothing free lists the claims again before answering
 *   InsufficientFreeAddressesInSubnet.
 */

import { createRecords } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { type AddressPool, createPrivateAddressPool } from '../domain/address-pool.js';
import type { Cidr } from '../domain/cidr.js';
import { type AddressRequest, chooseAddresses, chooseAddressesFrom } from '../domain/interface-addresses.js';
import { vpcKeys } from './vpc-keys.js';
import type { PrivateIpClaim } from './vpc-records.js';

export interface AddressChoice {
  /** As `chooseAddresses`: the primary, the specific ones, then the picked ones. */
  addresses: string[];
  /**
   * Says how the claim transaction ended, exactly once: committed, or not
   * (with the address that was found claimed, when that was why).
   */
  settle(outcome: { committed: true } | { committed: false; takenIp?: string }): void;
}

export interface SubnetAddressChoices {
  /** `held`: addresses the caller already owns (an interface's own), never given back on failure. */
  choose(
    accountId: string,
    subnetId: string,
    cidr: Cidr,
    request: AddressRequest,
    held?: readonly string[],
  ): Promise<AddressChoice>;
  /** Claims this process deleted: their addresses may be chosen again. */
  released(accountId: string, subnetId: string, ips: Iterable<string>): void;
}

/** Pools kept, most recently used; beyond this the least recently used is dropped (and relearnt on use). */
const maxSubnets = 1024;

interface SubnetEntry {
  pool: AddressPool;
  /** Choices under way, from `choose` until `settle`. */
  choosing: number;
  /** The first listing of the subnet's claims into the pool. */
  filled?: Promise<void>;
}

export function createSubnetAddressChoices(store: Store): SubnetAddressChoices {
  const claims = createRecords<PrivateIpClaim>(store);
  const entries = new Map<string, SubnetEntry>();

  const takenIn = async (accountId: string, subnetId: string) =>
    (await claims.list(vpcKeys.subnetPrivateIps(accountId, subnetId))).map((c) =>
      c.key.slice(c.key.lastIndexOf('/') + 1),
    );

  function entryFor(accountId: string, subnetId: string, cidr: Cidr): SubnetEntry {
    const key = `${accountId}/${subnetId}`;
    const entry = entries.get(key) ?? {
      pool: createPrivateAddressPool(cidr, { strategy: 'random-start' }),
      choosing: 0,
    };
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > maxSubnets) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    return entry;
  }

  return {
    async choose(accountId, subnetId, cidr, request, held = []) {
      const entry = entryFor(accountId, subnetId, cidr);
      const idle = entry.choosing === 0;
      entry.choosing++;
      let addresses: string[];
      try {
        if (idle) {
          const taken = await takenIn(accountId, subnetId);
          for (const ip of taken) entry.pool.noteTaken(ip);
          entry.filled ??= Promise.resolve();
          addresses = await chooseAddresses(cidr, request, taken);
          for (const ip of addresses) entry.pool.noteTaken(ip);
        } else {
          entry.filled ??= takenIn(accountId, subnetId).then((taken) => {
            for (const ip of taken) entry.pool.noteTaken(ip);
          });
          await entry.filled.catch((error: unknown) => {
            entry.filled = undefined;
            throw error;
          });
          addresses = await chooseAddressesFrom(entry.pool, request, () => takenIn(accountId, subnetId));
        }
      } catch (error) {
        entry.choosing--;
        throw error;
      }
      let settled = false;
      return {
        addresses,
        settle(outcome) {
          if (settled) return;
          settled = true;
          entry.choosing--;
          if (outcome.committed) return;
          for (const ip of addresses) {
            if (ip !== outcome.takenIp && !held.includes(ip)) entry.pool.noteReleased(ip);
          }
        },
      };
    },

    released(accountId, subnetId, ips) {
      const entry = entries.get(`${accountId}/${subnetId}`);
      if (entry) for (const ip of ips) entry.pool.noteReleased(ip);
    },
  };
}
