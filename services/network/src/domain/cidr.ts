import { invalidParameterValue, NetworkError, NetworkErrorCode } from './network-errors.js';

/**
 * IPv4 addresses as unsigned 32-bit numbers, and CIDR blocks as a network
 * address plus a prefix length. Everything the service stores is the text
 * form; these are the arithmetic behind validation and address picking.
 */
export interface Cidr {
  /** The network address (host bits zero), unsigned. */
  readonly network: number;
  readonly prefixLength: number;
}

const octet = /^(0|[1-9][0-9]{0,2})$/;

/** The address as a number, or undefined when `s` is not dotted-quad IPv4 (no leading zeros). */
export function tryParseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!octet.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

export function parseIpv4(s: string): number {
  const value = tryParseIpv4(s);
  if (value === undefined) throw invalidParameterValue(`Invalid IPv4 address: '${s}'.`);
  return value;
}

export function formatIpv4(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

function maskOf(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/**
 * A CIDR block. As EC2, host bits must be zero: `10.0.0.1/16` is "not a valid CIDR block".
 */
export function parseCidr(s: string): Cidr {
  const invalid = () =>
    invalidParameterValue(`Value (${s}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`);
  const slash = s.indexOf('/');
  if (slash < 0) throw invalid();
  const ip = tryParseIpv4(s.slice(0, slash));
  const lengthText = s.slice(slash + 1);
  if (ip === undefined || !/^(0|[1-9][0-9]?)$/.test(lengthText)) throw invalid();
  const prefixLength = Number(lengthText);
  if (prefixLength > 32 || (ip & ~maskOf(prefixLength)) >>> 0 !== 0) throw invalid();
  return { network: ip, prefixLength };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.network)}/${cidr.prefixLength}`;
}

/** The block sizes EC2 allows for VPCs and subnets: /16 (65,536 addresses) to /28 (16). */
export const minBlockPrefixLength = 16;
export const maxBlockPrefixLength = 28;

/** A VPC's CIDR block: valid and /16 to /28, else `InvalidVpc.Range`. */
export function parseVpcCidr(s: string): Cidr {
  const cidr = parseCidr(s);
  if (cidr.prefixLength < minBlockPrefixLength || cidr.prefixLength > maxBlockPrefixLength) {
    throw new NetworkError(NetworkErrorCode.InvalidVpcRange, `The CIDR '${s}' is invalid.`);
  }
  return cidr;
}

/** A subnet's CIDR block: valid, /16 to /28, and inside its VPC's block, else `InvalidSubnet.Range`. */
export function parseSubnetCidr(s: string, vpcCidr: Cidr): Cidr {
  const cidr = parseCidr(s);
  if (
    cidr.prefixLength < minBlockPrefixLength ||
    cidr.prefixLength > maxBlockPrefixLength ||
    !cidrContains(vpcCidr, cidr)
  ) {
    throw new NetworkError(NetworkErrorCode.InvalidSubnetRange, `The CIDR '${s}' is invalid.`);
  }
  return cidr;
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

/** The last address of the block (its broadcast address). */
export function lastAddress(cidr: Cidr): number {
  return cidr.network + cidrSize(cidr) - 1;
}

/** Whether `inner` (a block or one address) lies wholly inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr | number): boolean {
  const block = typeof inner === 'number' ? { network: inner, prefixLength: 32 } : inner;
  return block.network >= outer.network && lastAddress(block) <= lastAddress(outer);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** The blocks of `prefixLength` that tile `cidr`, in address order (e.g. the default VPC's /20 per zone). */
export function subnetsOf(cidr: Cidr, prefixLength: number): Cidr[] {
  if (prefixLength < cidr.prefixLength || prefixLength > 32) {
    throw invalidParameterValue(`Cannot split ${formatCidr(cidr)} into /${prefixLength} blocks.`);
  }
  const step = 2 ** (32 - prefixLength);
  const count = 2 ** (prefixLength - cidr.prefixLength);
  return Array.from({ length: count }, (_, i) => ({ network: cidr.network + i * step, prefixLength }));
}

export const loopbackCidr: Cidr = { network: 0x7f000000, prefixLength: 8 };

/** Whether the block lies in 127.0.0.0/8, where every address is bindable on one host. */
export function isLoopbackCidr(cidr: Cidr): boolean {
  return cidrContains(loopbackCidr, cidr);
}

/**
 * Refuses a block outside 127.0.0.0/8 when instances are host processes: an
 * address the API shows must be one the instance can bind and the edge can dial.
 */
export function requireLoopbackCidr(cidr: Cidr, code: string = NetworkErrorCode.InvalidParameterValue): void {
  if (!isLoopbackCidr(cidr)) {
    throw new NetworkError(
      code,
      `The CIDR '${formatCidr(cidr)}' is outside 127.0.0.0/8: with the process runtime every address must be a loopback address of this host.`,
    );
  }
}

/** Addresses EC2 keeps for itself in every subnet: network, router, DNS, future use, and broadcast. */
export const reservedAddressesPerSubnet = 5;

/** The first and last address an interface may get in a subnet: the first four and the last are reserved. */
export function hostRange(subnet: Cidr): { first: number; last: number } {
  return { first: subnet.network + 4, last: lastAddress(subnet) - 1 };
}

export function isReservedAddress(subnet: Cidr, ip: number): boolean {
  const { first, last } = hostRange(subnet);
  return cidrContains(subnet, ip) && (ip < first || ip > last);
}

/** How many addresses of the subnet interfaces can get at most. */
export function usableAddressCount(subnet: Cidr): number {
  return Math.max(0, cidrSize(subnet) - reservedAddressesPerSubnet);
}
