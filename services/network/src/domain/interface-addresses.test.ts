import { describe, expect, it } from 'vitest';
import { createPrivateAddressPool } from './address-pool.js';
import { parseCidr } from './cidr.js';
import { chooseAddresses, chooseAddressesFrom } from './interface-addresses.js';
import { isNetworkError } from './network-errors.js';

const subnet = parseCidr('127.16.0.0/28');

describe('chooseAddresses', () => {
  it('picks the lowest free usable addresses after the specific ones', async () => {
    expect(await chooseAddresses(subnet, { primary: '', specific: [], count: 1 }, ['127.16.0.4'])).toEqual([
      '127.16.0.5',
      '127.16.0.6',
    ]);
    expect(
      await chooseAddresses(subnet, { primary: '127.16.0.9', specific: ['127.16.0.4'], count: 1 }, []),
    ).toEqual(['127.16.0.9', '127.16.0.4', '127.16.0.5']);
  });

  it('reports a full subnet as InsufficientFreeAddressesInSubnet', async () => {
    const taken = Array.from({ length: 11 }, (_, i) => `127.16.0.${4 + i}`);
    await expect(chooseAddresses(subnet, { primary: '', specific: [], count: 0 }, taken)).rejects.toSatisfy(
      (error) => isNetworkError(error, 'InsufficientFreeAddressesInSubnet'),
    );
  });
});

describe('chooseAddressesFrom', () => {
  const none = async () => [];

  it('never hands one address to two concurrent callers of one pool, until the pool relearns it is free', async () => {
    const pool = createPrivateAddressPool(subnet, { strategy: 'random-start' });
    const chosen = await Promise.all(
      Array.from({ length: 5 }, () =>
        chooseAddressesFrom(pool, { primary: '', specific: [], count: 1 }, none),
      ),
    );
    const all = chosen.flat();
    expect(new Set(all).size).toBe(10);
    await expect(
      chooseAddressesFrom(pool, { primary: '', specific: [], count: 1 }, none),
    ).resolves.toHaveLength(2);
  });

  it('skips the specific addresses, and reports a full subnet from the relisted claims', async () => {
    const pool = createPrivateAddressPool(subnet, { strategy: 'random-start' });
    const [primary, ...rest] = await chooseAddressesFrom(
      pool,
      { primary: '127.16.0.9', specific: [], count: 10 },
      none,
    );
    expect(primary).toBe('127.16.0.9');
    expect(rest).not.toContain('127.16.0.9');
    expect(new Set(rest).size).toBe(10);
    const taken = Array.from({ length: 11 }, (_, i) => `127.16.0.${4 + i}`);
    await expect(
      chooseAddressesFrom(pool, { primary: '', specific: [], count: 0 }, async () => taken),
    ).rejects.toSatisfy((error) => isNetworkError(error, 'InsufficientFreeAddressesInSubnet'));
  });
});
