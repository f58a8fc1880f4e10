/**
 * The region's public IPv4 pool as this replica uses it: the domain's address
 * pool, which only chooses addresses, over the store's claims, which decide
 * who holds them. The first allocation learns what is taken already, so that a
 * restarted replica does not probe a full pool address by address.
 */
import { createPublicAddressPool } from '../domain/address-pool.js';
import { parseCidr } from '../domain/cidr.js';
import type { AddressLedger } from '../state/address-ledger.js';

export interface PublicIpPool {
  /** The first and last address that may be handed out. */
  readonly first: number;
  readonly last: number;
  /** Claims a free address with `claim` (true: this caller holds it now); InsufficientAddressCapacity when none is left. */
  allocate(claim: (ip: string) => Promise<boolean>): Promise<string>;
  noteTaken(ip: string): void;
  noteReleased(ip: string): void;
}

export function createPublicIpPool(cidr: string, ledger: AddressLedger): PublicIpPool {
  const pool = createPublicAddressPool(parseCidr(cidr));
  let primed: Promise<void> | undefined;
  const prime = async () => {
    for (const ip of await ledger.claimedIps()) pool.noteTaken(ip);
  };
  return {
    first: pool.first,
    last: pool.last,
    async allocate(claim) {
      primed ??= prime().catch((error: unknown) => {
        primed = undefined;
        throw error;
      });
      await primed;
      return pool.allocate({ claim, taken: () => ledger.claimedIps() });
    },
    noteTaken: (ip) => pool.noteTaken(ip),
    noteReleased: (ip) => pool.noteReleased(ip),
  };
}
