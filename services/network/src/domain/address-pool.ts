import {
  type Cidr,
  cidrContains,
  formatCidr,
  formatIpv4,
  hostRange,
  lastAddress,
  parseIpv4,
} from './cidr.js';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from './network-errors.js';

/**
 * Picking addresses from a range so that no address is ever handed out twice,
 * also with several callers and several service replicas at once.
 *
 * The pool never decides ownership itself: every address is taken through the
 * claimer, which the service backs with a store create-if-absent on a key like
 * `/nimbus/network/ips/<subnet-id>/<ip>`. Exactly one claim of a free address
 * wins; the pool only chooses which addresses to try, and remembers what it
 * learned (taken, released, being claimed by a local caller) to try fewer.
 */
export interface AddressClaimer {
  /** Takes the address if it is free: true when this caller now owns it. */
  claim(ip: string): Promise<boolean>;
  /**
   * The addresses taken right now (e.g. a list of the store prefix). Called
   * before reporting exhaustion, so that addresses other replicas released are
   * found again. Without it, exhaustion is confirmed by claiming every address once more.
   */
  taken?(): Promise<Iterable<string>>;
}

/**
 * - `lowest-free`: the lowest address not known to be taken (EC2's habit; predictable addresses).
 * - `random-start`: probe upward from a random address, so that replicas allocating at the
 *   same time rarely race for the same address.
 */
export type AllocationStrategy = 'lowest-free' | 'random-start';

export interface AddressPoolOptions {
  /** First and last address that may be handed out, inclusive. */
  first: number;
  last: number;
  /** Default: `lowest-free`. */
  strategy?: AllocationStrategy;
  /** The error when every address is taken. */
  exhausted: () => NetworkError;
  /** Source of randomness for `random-start`, in [0, 1). Default: Math.random. */
  random?: () => number;
}

export interface AddressPool {
  readonly first: number;
  readonly last: number;
  /** Number of addresses in the range. */
  readonly size: number;
  /** Claims one free address; the pool's `exhausted` error when there is none. */
  allocate(claimer: AddressClaimer): Promise<string>;
  /** Notes an address as taken (e.g. claimed elsewhere, or listed at start), so it is skipped. */
  noteTaken(ip: string): void;
  /** Notes an address as free again, after the service deleted its claim. */
  noteReleased(ip: string): void;
}

export function createAddressPool(options: AddressPoolOptions): AddressPool {
  const { first, last, exhausted } = options;
  const strategy = options.strategy ?? 'lowest-free';
  const random = options.random ?? Math.random;
  const size = Math.max(0, last - first + 1);
  const known = new Set<number>();
  const inFlight = new Set<number>();
  // Every address below this one is known to be taken: lowest-free starts here.
  let lowWater = first;

  const inRange = (ip: number) => ip >= first && ip <= last;

  function* candidates(): Generator<number> {
    const start = strategy === 'lowest-free' ? lowWater : first + Math.floor(random() * size);
    for (let i = 0; i < size; i++) {
      const ip = first + ((start - first + i) % size);
      if (!known.has(ip) && !inFlight.has(ip)) yield ip;
    }
  }

  function advanceLowWater(): void {
    while (lowWater <= last && known.has(lowWater)) lowWater++;
  }

  async function sweep(claimer: AddressClaimer): Promise<string | undefined> {
    for (const ip of candidates()) {
      inFlight.add(ip);
      let won: boolean;
      try {
        won = await claimer.claim(formatIpv4(ip));
      } finally {
        inFlight.delete(ip);
      }
      // Won or lost, the address is now taken.
      known.add(ip);
      advanceLowWater();
      if (won) return formatIpv4(ip);
    }
    return undefined;
  }

  return {
    first,
    last,
    size,
    async allocate(claimer) {
      const found = await sweep(claimer);
      if (found !== undefined) return found;
      // Local knowledge may be stale (another replica released addresses): relearn, then look once more.
      known.clear();
      lowWater = first;
      if (claimer.taken) {
        for (const ip of await claimer.taken()) noteTaken(ip);
      }
      const second = await sweep(claimer);
      if (second !== undefined) return second;
      throw exhausted();
    },
    noteTaken,
    noteReleased(ip) {
      const n = parseIpv4(ip);
      known.delete(n);
      if (n < lowWater && inRange(n)) lowWater = n;
    },
  };

  function noteTaken(ip: string): void {
    const n = parseIpv4(ip);
    if (!inRange(n)) return;
    known.add(n);
    advanceLowWater();
  }
}

/** The private addresses of a subnet: all but the first four and the last, as in EC2. */
export function createPrivateAddressPool(
  subnet: Cidr,
  options: { strategy?: AllocationStrategy; random?: () => number } = {},
): AddressPool {
  const { first, last } = hostRange(subnet);
  return createAddressPool({
    ...options,
    first,
    last,
    exhausted: () =>
      new NetworkError(
        NetworkErrorCode.InsufficientFreeAddressesInSubnet,
        `There are not enough free addresses in subnet ${formatCidr(subnet)} to satisfy the requested number of instances.`,
      ),
  });
}

/** Nimbus: the default public IPv4 pool, reachable on one host as every address of 127.0.0.0/8 is. */
export const defaultPublicPoolCidr = '127.64.0.0/16';

/** The public IPv4 pool: every address of the block except its first and last. */
export function createPublicAddressPool(
  pool: Cidr,
  options: { strategy?: AllocationStrategy; random?: () => number } = {},
): AddressPool {
  return createAddressPool({
    ...options,
    first: pool.network + 1,
    last: lastAddress(pool) - 1,
    exhausted: () =>
      new NetworkError(
        NetworkErrorCode.InsufficientAddressCapacity,
        'There are no more public IPv4 addresses available in the address pool.',
      ),
  });
}

/** Nimbus: EC2's default quota of Elastic IPs per account and region. */
export const defaultAddressQuota = 5;

/** Refuses one more Elastic IP when the account already holds its quota. */
export function checkAddressQuota(held: number, quota: number = defaultAddressQuota): void {
  if (held >= quota) {
    throw new NetworkError(
      NetworkErrorCode.AddressLimitExceeded,
      'The maximum number of addresses has been reached.',
    );
  }
}

/**
 * Checks a specific address asked for in a subnet (CreateNetworkInterface's
 * private_ip_address): inside the subnet and not one EC2 reserves.
 */
export function checkRequestedPrivateAddress(subnet: Cidr, ip: string): void {
  const n = parseIpv4(ip);
  if (!cidrContains(subnet, n)) {
    throw invalidParameterValue(`Address ${ip} does not fall within the subnet's address range`);
  }
  const { first, last } = hostRange(subnet);
  if (n < first || n > last) {
    throw invalidParameterValue(`Address ${ip} is in subnet's reserved address range`);
  }
}

/** The error for a specific address that is already claimed. */
export function addressInUse(ip: string): NetworkError {
  return new NetworkError(
    NetworkErrorCode.InvalidIPAddressInUse,
    `The specified address ${ip} is already in use.`,
  );
}

/** EC2's `AvailableIpAddressCount`: usable addresses of the subnet not held by an interface. */
export function availableIpAddressCount(subnet: Cidr, inUse: number): number {
  const { first, last } = hostRange(subnet);
  return Math.max(0, last - first + 1 - inUse);
}
