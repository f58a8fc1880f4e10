import { describe, expect, it } from 'vitest';
import { parseCidr } from './cidr.js';
import { chooseAddresses } from './interface-addresses.js';
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
