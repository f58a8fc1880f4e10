import { type AddressPool, checkRequestedPrivateAddress, createPrivateAddressPool } from './address-pool.js';
import type { Cidr } from './cidr.js';
import { invalidParameterValue } from './network-errors.js';

/** EC2: at most this many private addresses per interface of the smallest types; Nimbus uses it for all. */
export const maxPrivateAddressesPerInterface = 50;

/**
 * The private addresses a new interface asks for: specific ones (checked to
 * lie in the subnet's usable range) and a count to pick. The first is primary.
 */
export interface AddressRequest {
  primary: string;
  specific: readonly string[];
  count: number;
}

export function checkAddressRequest(subnet: Cidr, request: AddressRequest): void {
  const all = [request.primary, ...request.specific].filter((ip) => ip !== '');
  for (const ip of all) checkRequestedPrivateAddress(subnet, ip);
  if (new Set(all).size < all.length) throw invalidParameterValue('The same address is requested twice.');
  if (
    request.count < 0 ||
    all.length + request.count + (request.primary ? 0 : 1) > maxPrivateAddressesPerInterface
  ) {
    throw invalidParameterValue(
      `An interface can have at most ${maxPrivateAddressesPerInterface} private addresses.`,
    );
  }
}

/**
 * Chooses the addresses for one attempt: the specific ones, then the lowest
 * free ones of the subnet that are not in `taken`. Nothing is owned yet: the
 * caller claims every chosen address by create-if-absent in the interface's
 * own transaction, and chooses again if one was taken meanwhile.
 */
export async function chooseAddresses(
  subnet: Cidr,
  request: AddressRequest,
  taken: Iterable<string>,
): Promise<string[]> {
  const pool: AddressPool = createPrivateAddressPool(subnet);
  const requested = [request.primary, ...request.specific].filter((ip) => ip !== '');
  const held = new Set<string>([...taken, ...requested]);
  for (const ip of held) pool.noteTaken(ip);
  // The pool only chooses here: a "claim" is local, so that it never offers an address twice.
  const chooser = {
    claim: async (ip: string) => !held.has(ip) && Boolean(held.add(ip)),
    taken: async () => held,
  };
  const picked: string[] = [];
  for (let i = 0; i < request.count + (request.primary ? 0 : 1); i++)
    picked.push(await pool.allocate(chooser));
  const primary = request.primary || (picked.shift() as string);
  return [primary, ...request.specific, ...picked];
}

/**
 * As `chooseAddresses`, from a long-lived pool that remembers what is taken
 * (so nothing is listed per attempt): the pool's strategy decides where the
 * picks start, and every pick is noted taken in it at once, so concurrent
 * callers of one pool never get the same address. `relist` answers the
 * addresses taken right now, asked only when the pool finds nothing free
 * before it reports InsufficientFreeAddressesInSubnet. On failure the picks
 * go back to the pool.
 */
export async function chooseAddressesFrom(
  pool: AddressPool,
  request: AddressRequest,
  relist: () => Promise<Iterable<string>>,
): Promise<string[]> {
  const requested = [request.primary, ...request.specific].filter((ip) => ip !== '');
  for (const ip of requested) pool.noteTaken(ip);
  const picked: string[] = [];
  const chooser = {
    // The store decides ownership when the caller commits; here the pool only notes the pick.
    claim: async () => true,
    taken: async () => [...(await relist()), ...requested, ...picked],
  };
  try {
    for (let i = 0; i < request.count + (request.primary ? 0 : 1); i++)
      picked.push(await pool.allocate(chooser));
  } catch (error) {
    for (const ip of picked) pool.noteReleased(ip);
    throw error;
  }
  const primary = request.primary || (picked.shift() as string);
  return [primary, ...request.specific, ...picked];
}
