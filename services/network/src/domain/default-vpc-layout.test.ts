import { describe, expect, it } from 'vitest';
import { defaultVpcLayout } from './default-vpc-layout.js';
import { isNetworkError } from './network-errors.js';

describe('defaultVpcLayout', () => {
  it('gives each zone a /20 of the default CIDR, in order', () => {
    expect(defaultVpcLayout('127.16.0.0/16', ['a', 'b'])).toEqual({
      cidrBlock: '127.16.0.0/16',
      subnets: [
        { availabilityZone: 'a', cidrBlock: '127.16.0.0/20' },
        { availabilityZone: 'b', cidrBlock: '127.16.16.0/20' },
      ],
    });
  });

  it('uses smaller subnets when the block cannot hold a /20 per zone', () => {
    const layout = defaultVpcLayout('127.5.0.0/24', ['a', 'b', 'c']);
    expect(layout.subnets.map((s) => s.cidrBlock)).toEqual([
      '127.5.0.0/26',
      '127.5.0.64/26',
      '127.5.0.128/26',
    ]);
  });

  it('refuses a CIDR outside loopback, of the wrong size, or too small for the zones', () => {
    const refusal = (cidr: string, zones = ['a']) => {
      try {
        defaultVpcLayout(cidr, zones);
      } catch (error) {
        return isNetworkError(error) ? error.code : 'other';
      }
      return 'accepted';
    };
    expect(refusal('10.0.0.0/16')).toBe('InvalidParameterValue');
    expect(refusal('127.16.0.0/12')).toBe('InvalidVpc.Range');
    expect(refusal('127.16.0.0/28', ['a', 'b'])).toBe('InvalidParameterValue');
    expect(refusal('127.16.0.0/16', [])).toBe('InvalidParameterValue');
  });
});
