/**
 * The network service's own settings, each with its environment variable and
 * default; read once at start (`readConfig`), with every problem reported at once.
 */
import type { ConfigOf, ConfigSpec } from '@nimbus/runtime';
import { defaultAddressQuota, defaultPublicPoolCidr } from './domain/address-pool.js';

export const networkConfigSpec = {
  region: { env: 'NIMBUS_REGION', default: 'nimbus-1', description: 'the region name' },
  zones: {
    env: 'NIMBUS_ZONES',
    parse: 'list',
    default: ['nimbus-1a', 'nimbus-1b'],
    description: 'availability zones, comma-separated: the default VPC gets one subnet in each',
  },
  defaultVpcCidr: {
    env: 'NIMBUS_DEFAULT_VPC_CIDR',
    default: '127.16.0.0/16',
    description: "CIDR of each account's default VPC; inside 127.0.0.0/8 with the process runtime",
  },
  publicPoolCidr: {
    env: 'NIMBUS_PUBLIC_IP_POOL',
    default: defaultPublicPoolCidr,
    description: 'the public IPv4 pool that Elastic IPs and auto-assigned public addresses come from',
  },
  addressQuota: {
    env: 'NIMBUS_ADDRESS_QUOTA',
    parse: 'int',
    default: defaultAddressQuota,
    description: 'Elastic IPs per account (AddressLimitExceeded beyond it)',
  },
  addressPrices: {
    env: 'NIMBUS_ADDRESS_PRICES',
    default: '',
    description:
      'public IPv4 prices of the usage report, e.g. hour=0.005,remap=0.10,free-remaps=100 (items left out keep these defaults)',
  },
  edge: {
    env: 'NIMBUS_EDGE',
    parse: 'bool',
    default: true,
    description:
      'run the public edge in this replica (forwards public addresses to private ones on this host): on for the one-machine region, off where another replica or host runs it',
  },
  edgeEngine: {
    env: 'NIMBUS_EDGE_ENGINE',
    default: 'auto',
    description:
      "the edge's data plane: auto (haproxy when its binary is on PATH, else node), node (a relay in this process) or haproxy (HAProxy 2.6+ in TCP mode, faster)",
  },
} satisfies ConfigSpec;

export type NetworkConfig = ConfigOf<typeof networkConfigSpec>;
