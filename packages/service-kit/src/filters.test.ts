import { describe, expect, it } from 'vitest';
import { isApiError } from './api-error.js';
import { compileFilters, type FilterFields, matchesFilters, wildcardPattern } from './filters.js';

interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  defaultForAz: boolean;
  availableIpAddressCount: number;
  groups: string[];
  tags: { key: string; value: string }[];
}

const fields: FilterFields<Subnet> = {
  'subnet-id': (s) => s.subnetId,
  'vpc-id': (s) => s.vpcId,
  'cidr-block': (s) => s.cidrBlock,
  'default-for-az': (s) => s.defaultForAz,
  'available-ip-address-count': (s) => s.availableIpAddressCount,
  'group-id': (s) => s.groups,
};
const options = { tags: (s: Subnet) => s.tags };

const a: Subnet = {
  subnetId: 'subnet-0aaaaaaaaaaaaaaaa',
  vpcId: 'vpc-01111111111111111',
  cidrBlock: '127.16.0.0/20',
  defaultForAz: true,
  availableIpAddressCount: 4091,
  groups: ['sg-1', 'sg-2'],
  tags: [
    { key: 'Name', value: 'web-a' },
    { key: 'env', value: 'prod' },
  ],
};
const b: Subnet = {
  subnetId: 'subnet-0bbbbbbbbbbbbbbbb',
  vpcId: 'vpc-02222222222222222',
  cidrBlock: '127.17.0.0/24',
  defaultForAz: false,
  availableIpAddressCount: 251,
  groups: [],
  tags: [{ key: 'Name', value: 'db?' }],
};

function select(filters: { name: string; values: string[] }[]): string[] {
  const pass = compileFilters(filters, fields, options);
  return [a, b].filter(pass).map((s) => s.subnetId.slice(-1));
}

describe('EC2 filters', () => {
  it('matches exact values; several values are ORed, several filters ANDed', () => {
    expect(select([{ name: 'vpc-id', values: ['vpc-01111111111111111'] }])).toEqual(['a']);
    expect(select([{ name: 'vpc-id', values: ['vpc-01111111111111111', 'vpc-02222222222222222'] }])).toEqual([
      'a',
      'b',
    ]);
    expect(
      select([
        { name: 'vpc-id', values: ['vpc-01111111111111111', 'vpc-02222222222222222'] },
        { name: 'default-for-az', values: ['false'] },
      ]),
    ).toEqual(['b']);
    expect(select([])).toEqual(['a', 'b']);
    expect(select([{ name: 'available-ip-address-count', values: ['251'] }])).toEqual(['b']);
  });

  it('supports * and ? wildcards, case-sensitively, with \\ escapes', () => {
    expect(select([{ name: 'cidr-block', values: ['127.1?.0.0/*'] }])).toEqual(['a', 'b']);
    expect(select([{ name: 'cidr-block', values: ['*/20'] }])).toEqual(['a']);
    expect(select([{ name: 'subnet-id', values: ['subnet-0A*'] }])).toEqual([]);
    expect(select([{ name: 'tag:Name', values: ['db\\?'] }])).toEqual(['b']);
    expect(select([{ name: 'tag:Name', values: ['web\\?'] }])).toEqual([]);
    expect(wildcardPattern('a.b').test('axb')).toBe(false);
    expect(wildcardPattern('*').test('')).toBe(true);
    expect(wildcardPattern('?').test('')).toBe(false);
  });

  it('matches any element of a multi-valued attribute', () => {
    expect(select([{ name: 'group-id', values: ['sg-2'] }])).toEqual(['a']);
    expect(select([{ name: 'group-id', values: ['*'] }])).toEqual(['a']);
  });

  it('filters on tag:<key>, tag-key and tag-value', () => {
    expect(select([{ name: 'tag:env', values: ['prod'] }])).toEqual(['a']);
    expect(select([{ name: 'tag:env', values: ['*'] }])).toEqual(['a']);
    expect(select([{ name: 'tag:Name', values: ['web-*', 'db*'] }])).toEqual(['a', 'b']);
    expect(select([{ name: 'tag-key', values: ['env'] }])).toEqual(['a']);
    expect(select([{ name: 'tag-value', values: ['db?'] }])).toEqual(['b']);
    expect(select([{ name: 'tag:name', values: ['web-a'] }])).toEqual([]);
  });

  it('refuses an unknown filter name, naming it, and a filter without values', () => {
    const refuse = (filters: { name: string; values: string[] }[]) => {
      try {
        compileFilters(filters, fields, options);
      } catch (error) {
        return isApiError(error, 'InvalidParameterValue') ? error.message : 'wrong error';
      }
      return 'accepted';
    };
    expect(refuse([{ name: 'colour', values: ['red'] }])).toBe("The filter 'colour' is invalid");
    expect(refuse([{ name: 'toString', values: ['x'] }])).toBe("The filter 'toString' is invalid");
    expect(refuse([{ name: 'vpc-id', values: [] }])).toContain("'vpc-id'");
    expect(() => matchesFilters(a, [{ name: 'tag:Name', values: ['x'] }], fields)).toThrow(
      "The filter 'tag:Name' is invalid",
    );
  });
});
