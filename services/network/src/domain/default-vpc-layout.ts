import {
  type Cidr,
  formatCidr,
  maxBlockPrefixLength,
  parseVpcCidr,
  requireLoopbackCidr,
  subnetsOf,
} from './cidr.js';
import { invalidParameterValue } from './network-errors.js';

/** EC2's default subnets are /20: 4,091 usable addresses each. */
export const defaultSubnetPrefixLength = 20;

export interface DefaultSubnetPlan {
  availabilityZone: string;
  cidrBlock: string;
}

export interface DefaultVpcLayout {
  cidrBlock: string;
  subnets: DefaultSubnetPlan[];
}

/**
 * The default VPC of every account: the configured block (inside 127.0.0.0/8,
 * so that instances can bind their addresses) and one subnet per zone, /20
 * as in EC2, or smaller when the block cannot hold a /20 per zone. Computed
 * once at start, so that a bad configuration stops the service there.
 */
export function defaultVpcLayout(cidrBlock: string, zones: readonly string[]): DefaultVpcLayout {
  const vpc: Cidr = parseVpcCidr(cidrBlock);
  requireLoopbackCidr(vpc);
  if (zones.length === 0) throw invalidParameterValue('The region needs at least one availability zone.');
  const zoneBits = Math.ceil(Math.log2(zones.length));
  const prefixLength = Math.max(defaultSubnetPrefixLength, vpc.prefixLength + zoneBits);
  if (prefixLength > maxBlockPrefixLength) {
    throw invalidParameterValue(
      `The default VPC CIDR ${cidrBlock} is too small for a subnet in each of ${zones.length} zones.`,
    );
  }
  const blocks = subnetsOf(vpc, prefixLength);
  return {
    cidrBlock: formatCidr(vpc),
    subnets: zones.map((availabilityZone, i) => ({
      availabilityZone,
      cidrBlock: formatCidr(blocks[i] as Cidr),
    })),
  };
}
