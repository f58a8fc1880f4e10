import { codeOf } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  hostRange,
  isLoopbackCidr,
  isReservedAddress,
  parseCidr,
  parseIpv4,
  parseSubnetCidr,
  parseVpcCidr,
  requireLoopbackCidr,
  subnetsOf,
  tryParseIpv4,
  usableAddressCount,
} from './cidr.js';

describe('IPv4 addresses', () => {
  it('round-trips dotted quads, including the extremes', () => {
    for (const s of ['0.0.0.0', '127.0.0.1', '10.20.30.40', '255.255.255.255']) {
      expect(formatIpv4(parseIpv4(s))).toBe(s);
    }
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('127.16.0.1')).toBe(0x7f100001);
  });

  it('refuses what is not dotted-quad IPv4', () => {
    for (const s of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.1',
      '01.2.3.4',
      '1.2.3.-4',
      'a.b.c.d',
      '1.2.3.4 ',
      '::1',
    ]) {
      expect(tryParseIpv4(s)).toBeUndefined();
    }
    expect(codeOf(() => parseIpv4('1.2.3'))).toBe('InvalidParameterValue');
  });
});

describe('CIDR blocks', () => {
  it('parses and formats', () => {
    const cidr = parseCidr('127.16.0.0/16');
    expect(cidr).toEqual({ network: 0x7f100000, prefixLength: 16 });
    expect(formatCidr(cidr)).toBe('127.16.0.0/16');
    expect(cidrSize(cidr)).toBe(65_536);
    expect(cidrSize(parseCidr('0.0.0.0/0'))).toBe(2 ** 32);
  });

  it('refuses host bits, bad lengths and garbage with InvalidParameterValue', () => {
    for (const s of ['10.0.0.1/16', '10.0.0.0/33', '10.0.0.0', '10.0.0.0/', '10.0.0.0/016', 'x/16']) {
      expect(codeOf(() => parseCidr(s))).toBe('InvalidParameterValue');
    }
  });

  it('allows VPC blocks from /16 to /28 only', () => {
    expect(formatCidr(parseVpcCidr('10.0.0.0/16'))).toBe('10.0.0.0/16');
    expect(formatCidr(parseVpcCidr('10.0.0.0/28'))).toBe('10.0.0.0/28');
    expect(codeOf(() => parseVpcCidr('10.0.0.0/15'))).toBe('InvalidVpc.Range');
    expect(codeOf(() => parseVpcCidr('10.0.0.0/29'))).toBe('InvalidVpc.Range');
  });

  it('allows subnet blocks inside their VPC only', () => {
    const vpc = parseVpcCidr('127.16.0.0/16');
    expect(formatCidr(parseSubnetCidr('127.16.16.0/20', vpc))).toBe('127.16.16.0/20');
    expect(codeOf(() => parseSubnetCidr('127.17.0.0/24', vpc))).toBe('InvalidSubnet.Range');
    expect(codeOf(() => parseSubnetCidr('127.16.0.0/29', vpc))).toBe('InvalidSubnet.Range');
    expect(codeOf(() => parseSubnetCidr('127.16.0.0/24', parseVpcCidr('127.16.0.0/25')))).toBe(
      'InvalidSubnet.Range',
    );
  });

  it('tells containment and overlap', () => {
    const vpc = parseCidr('127.16.0.0/16');
    expect(cidrContains(vpc, parseCidr('127.16.255.0/24'))).toBe(true);
    expect(cidrContains(vpc, parseCidr('127.16.0.0/15'))).toBe(false);
    expect(cidrContains(vpc, parseIpv4('127.16.255.255'))).toBe(true);
    expect(cidrContains(vpc, parseIpv4('127.17.0.0'))).toBe(false);
    expect(cidrsOverlap(parseCidr('10.0.0.0/24'), parseCidr('10.0.0.128/25'))).toBe(true);
    expect(cidrsOverlap(parseCidr('10.0.0.0/25'), parseCidr('10.0.0.128/25'))).toBe(false);
    expect(cidrsOverlap(parseCidr('10.0.0.0/8'), parseCidr('10.255.255.240/28'))).toBe(true);
  });

  it('splits a block into equal subnets, as the default VPC does per zone', () => {
    const blocks = subnetsOf(parseCidr('127.16.0.0/16'), 20).map(formatCidr);
    expect(blocks).toHaveLength(16);
    expect(blocks.slice(0, 3)).toEqual(['127.16.0.0/20', '127.16.16.0/20', '127.16.32.0/20']);
    expect(blocks.at(-1)).toBe('127.16.240.0/20');
    expect(codeOf(() => subnetsOf(parseCidr('127.16.0.0/16'), 15))).toBe('InvalidParameterValue');
  });
});

describe('loopback and reserved addresses', () => {
  it('accepts only blocks inside 127.0.0.0/8 for the process runtime, with a clear reason', () => {
    expect(isLoopbackCidr(parseCidr('127.16.0.0/16'))).toBe(true);
    expect(isLoopbackCidr(parseCidr('127.255.255.240/28'))).toBe(true);
    expect(isLoopbackCidr(parseCidr('10.0.0.0/16'))).toBe(false);
    expect(isLoopbackCidr(parseCidr('126.0.0.0/7'))).toBe(false);
    expect(() => requireLoopbackCidr(parseCidr('10.0.0.0/16'), 'InvalidVpc.Range')).toThrow(
      /10\.0\.0\.0\/16.*outside 127\.0\.0\.0\/8.*process runtime/,
    );
    expect(codeOf(() => requireLoopbackCidr(parseCidr('10.0.0.0/16'), 'InvalidVpc.Range'))).toBe(
      'InvalidVpc.Range',
    );
    expect(codeOf(() => requireLoopbackCidr(parseCidr('127.1.0.0/16')))).toBeUndefined();
  });

  it('keeps the first four and the last address of a subnet', () => {
    const subnet = parseCidr('127.16.0.0/24');
    const { first, last } = hostRange(subnet);
    expect(formatIpv4(first)).toBe('127.16.0.4');
    expect(formatIpv4(last)).toBe('127.16.0.254');
    for (const ip of ['127.16.0.0', '127.16.0.1', '127.16.0.2', '127.16.0.3', '127.16.0.255']) {
      expect(isReservedAddress(subnet, parseIpv4(ip))).toBe(true);
    }
    expect(isReservedAddress(subnet, parseIpv4('127.16.0.4'))).toBe(false);
    expect(isReservedAddress(subnet, parseIpv4('127.16.1.4'))).toBe(false);
    expect(usableAddressCount(subnet)).toBe(251);
    expect(usableAddressCount(parseCidr('10.0.0.0/28'))).toBe(11);
  });
});
