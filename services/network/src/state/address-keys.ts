/**
 * Where public addresses are kept, under `/nimbus/network/`. The pool's claims
 * are one key per address for the whole region (create-if-absent decides who
 * holds an address); everything an account sees or is billed for is under a
 * prefix of its own.
 */
const root = '/nimbus/network';

export const addressKeys = {
  /** The claim on one public address: exactly one holder, an Elastic IP or an interface. */
  publicIps: () => `${root}/public-ips/`,
  publicIp: (ip: string) => `${root}/public-ips/${ip}`,
  /** Elastic IPs by allocation id. */
  addresses: (accountId: string) => `${root}/addresses/${accountId}/`,
  address: (accountId: string, allocationId: string) => `${root}/addresses/${accountId}/${allocationId}`,
  /** How many Elastic IPs the account holds: the quota is checked and moved with compare-and-swap. */
  addressCount: (accountId: string) => `${root}/address-counts/${accountId}`,
  /** An AllocateAddress client token: a retried call gets the allocation the first one made. */
  clientToken: (accountId: string, token: string) =>
    `${root}/address-client-tokens/${accountId}/${encodeURIComponent(token)}`,
  /** The auto-assigned public address of an interface. */
  interfacePublicIp: (accountId: string, networkInterfaceId: string) =>
    `${root}/interface-public-ips/${accountId}/${networkInterfaceId}`,
  /** What the usage report is computed from: one record per holding of an address. */
  holdings: (accountId: string) => `${root}/address-holdings/${accountId}/`,
  holding: (accountId: string, holdingId: string) => `${root}/address-holdings/${accountId}/${holdingId}`,
} as const;
