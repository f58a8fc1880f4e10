import { describe, expect, it } from 'vitest';
import {
  type AddressClaimer,
  type AddressPool,
  availableIpAddressCount,
  checkAddressQuota,
  checkRequestedPrivateAddress,
  createAddressPool,
  createPrivateAddressPool,
  createPublicAddressPool,
  defaultPublicPoolCidr,
} from './address-pool.js';
import { cidrContains, hostRange, parseCidr, parseIpv4 } from './cidr.js';
import { isNetworkError, NetworkError } from './network-errors.js';

/**
 * The store's create-if-absent in memory: each claim yields to the event loop
 * first, so concurrent callers really interleave between choosing and claiming.
 */
function createMemoryClaims(): AddressClaimer & {
  owned: Set<string>;
  calls: number;
  release(ip: string): void;
} {
  const owned = new Set<string>();
  const claims = {
    owned,
    calls: 0,
    async claim(ip: string) {
      claims.calls++;
      await new Promise((resolve) => setImmediate(resolve));
      if (owned.has(ip)) return false;
      owned.add(ip);
      return true;
    },
    async taken() {
      return [...owned];
    },
    release(ip: string) {
      owned.delete(ip);
    },
  };
  return claims;
}

/** Each caller allocates until the pool says it is exhausted; returns what each got and the errors that stopped them. */
async function drain(pools: AddressPool[], claimer: AddressClaimer, callers: number) {
  const got: string[] = [];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      const pool = pools[i % pools.length] as AddressPool;
      for (;;) {
        try {
          got.push(await pool.allocate(claimer));
        } catch (error) {
          errors.push(error);
          return;
        }
      }
    }),
  );
  return { got, errors };
}

describe('private address pool', () => {
  const subnet = parseCidr('127.16.0.0/24');

  for (const strategy of ['lowest-free', 'random-start'] as const) {
    it(`gives 16 concurrent callers every address of a /24 once (${strategy}), then InsufficientFreeAddressesInSubnet`, async () => {
      const claims = createMemoryClaims();
      const pool = createPrivateAddressPool(subnet, { strategy });
      const { got, errors } = await drain([pool], claims, 16);

      expect(got).toHaveLength(251);
      expect(new Set(got).size).toBe(251);
      const { first, last } = hostRange(subnet);
      for (const ip of got) {
        const n = parseIpv4(ip);
        expect(n >= first && n <= last).toBe(true);
      }
      expect(got).not.toContain('127.16.0.3');
      expect(got).not.toContain('127.16.0.255');
      expect(errors).toHaveLength(16);
      for (const error of errors) {
        expect(isNetworkError(error, 'InsufficientFreeAddressesInSubnet')).toBe(true);
      }
    });
  }

  it('never duplicates across replicas that share nothing but the claims', async () => {
    const claims = createMemoryClaims();
    const replicas = Array.from({ length: 4 }, () =>
      createPrivateAddressPool(subnet, { strategy: 'random-start' }),
    );
    const { got, errors } = await drain(replicas, claims, 16);
    expect(got).toHaveLength(251);
    expect(new Set(got).size).toBe(251);
    expect(errors.every((e) => isNetworkError(e, 'InsufficientFreeAddressesInSubnet'))).toBe(true);
  });

  it('hands out the lowest free address first, and reuses a released one', async () => {
    const claims = createMemoryClaims();
    const pool = createPrivateAddressPool(subnet);
    expect(await pool.allocate(claims)).toBe('127.16.0.4');
    expect(await pool.allocate(claims)).toBe('127.16.0.5');
    expect(await pool.allocate(claims)).toBe('127.16.0.6');
    claims.release('127.16.0.5');
    pool.noteReleased('127.16.0.5');
    expect(await pool.allocate(claims)).toBe('127.16.0.5');
    expect(await pool.allocate(claims)).toBe('127.16.0.7');
  });

  it('skips addresses noted as taken without claiming them', async () => {
    const claims = createMemoryClaims();
    const pool = createPrivateAddressPool(subnet);
    for (const ip of ['127.16.0.4', '127.16.0.5']) {
      claims.owned.add(ip);
      pool.noteTaken(ip);
    }
    expect(await pool.allocate(claims)).toBe('127.16.0.6');
    expect(claims.calls).toBe(1);
  });

  it('finds an address another replica released before reporting exhaustion', async () => {
    const claims = createMemoryClaims();
    const small = parseCidr('127.16.0.0/28');
    const a = createPrivateAddressPool(small);
    const b = createPrivateAddressPool(small);
    const { got } = await drain([a], claims, 2);
    expect(got).toHaveLength(11);
    claims.release('127.16.0.9');
    b.noteReleased('127.16.0.9');
    expect(await a.allocate(claims)).toBe('127.16.0.9');
    await expect(a.allocate(claims)).rejects.toMatchObject({ code: 'InsufficientFreeAddressesInSubnet' });
  });

  it('confirms exhaustion by claiming again when the claimer cannot list', async () => {
    const owned = new Set<string>();
    const claimer: AddressClaimer = {
      async claim(ip) {
        if (owned.has(ip)) return false;
        owned.add(ip);
        return true;
      },
    };
    const pool = createPrivateAddressPool(parseCidr('127.16.0.0/28'));
    for (let i = 0; i < 11; i++) await pool.allocate(claimer);
    owned.delete('127.16.0.10');
    expect(await pool.allocate(claimer)).toBe('127.16.0.10');
  });

  it('lets a failing claim propagate and retries that address later', async () => {
    let fail = true;
    const owned = new Set<string>();
    const claimer: AddressClaimer = {
      async claim(ip) {
        if (fail) throw new Error('store unavailable');
        if (owned.has(ip)) return false;
        owned.add(ip);
        return true;
      },
    };
    const pool = createPrivateAddressPool(subnet);
    await expect(pool.allocate(claimer)).rejects.toThrow('store unavailable');
    fail = false;
    expect(await pool.allocate(claimer)).toBe('127.16.0.4');
  });

  it('starts random-start probes where the random source says and wraps around', async () => {
    const claims = createMemoryClaims();
    const pool = createAddressPool({
      first: 100,
      last: 109,
      strategy: 'random-start',
      random: () => 0.95,
      exhausted: () => new NetworkError('X', 'full'),
    });
    const got = [];
    for (let i = 0; i < 10; i++) got.push(parseIpv4(await pool.allocate(claims)));
    expect(got).toEqual([109, 100, 101, 102, 103, 104, 105, 106, 107, 108]);
    await expect(pool.allocate(claims)).rejects.toMatchObject({ code: 'X' });
  });

  it('checks a requested address against the subnet and its reserved addresses', () => {
    expect(() => checkRequestedPrivateAddress(subnet, '127.16.0.4')).not.toThrow();
    expect(() => checkRequestedPrivateAddress(subnet, '127.16.0.2')).toThrow(/reserved/);
    expect(() => checkRequestedPrivateAddress(subnet, '127.16.0.255')).toThrow(/reserved/);
    expect(() => checkRequestedPrivateAddress(subnet, '127.16.1.4')).toThrow(/does not fall within/);
    expect(() => checkRequestedPrivateAddress(subnet, 'nope')).toThrow(NetworkError);
  });

  it("counts a subnet's available addresses as EC2 does", () => {
    expect(availableIpAddressCount(subnet, 0)).toBe(251);
    expect(availableIpAddressCount(subnet, 10)).toBe(241);
    expect(availableIpAddressCount(parseCidr('127.16.0.0/20'), 0)).toBe(4091);
  });
});

describe('public address pool', () => {
  it('allocates from 127.64.0.0/16 by default, never the first or last address', async () => {
    const pool = createPublicAddressPool(parseCidr(defaultPublicPoolCidr));
    const claims = createMemoryClaims();
    const ip = await pool.allocate(claims);
    expect(ip).toBe('127.64.0.1');
    expect(pool.size).toBe(65_534);
    expect(cidrContains(parseCidr(defaultPublicPoolCidr), parseIpv4(ip))).toBe(true);
  });

  it('answers InsufficientAddressCapacity when the pool is exhausted, with nothing half-allocated', async () => {
    const pool = createPublicAddressPool(parseCidr('127.64.0.0/29'), { strategy: 'random-start' });
    const claims = createMemoryClaims();
    const { got, errors } = await drain([pool], claims, 16);
    expect(got).toHaveLength(6);
    expect(new Set(got).size).toBe(6);
    expect(claims.owned.size).toBe(6);
    expect(errors.every((e) => isNetworkError(e, 'InsufficientAddressCapacity'))).toBe(true);
  });

  it('answers AddressLimitExceeded at the per-account quota', () => {
    expect(() => checkAddressQuota(4)).not.toThrow();
    expect(() => checkAddressQuota(5)).toThrow(expect.objectContaining({ code: 'AddressLimitExceeded' }));
    expect(() => checkAddressQuota(5, 10)).not.toThrow();
  });
});
