/**
 * Where VPCs, subnets and security groups live in the store, under
 * `/nimbus/network/`, one prefix per kind and account (so a Describe lists
 * one account's resources and nobody else's), each resource under its id.
 */
const root = '/nimbus/network';

export const vpcKeys = {
  vpcs: (accountId: string) => `${root}/vpcs/${accountId}/`,
  vpc: (accountId: string, vpcId: string) => `${root}/vpcs/${accountId}/${vpcId}`,
  /**
   * The account's default VPC marker: created once, with the whole default
   * VPC in the same transaction, so that concurrent first calls make one.
   */
  defaultVpc: (accountId: string) => `${root}/default-vpcs/${accountId}`,
  subnets: (accountId: string) => `${root}/subnets/${accountId}/`,
  subnet: (accountId: string, subnetId: string) => `${root}/subnets/${accountId}/${subnetId}`,
  securityGroups: (accountId: string) => `${root}/security-groups/${accountId}/`,
  securityGroup: (accountId: string, groupId: string) => `${root}/security-groups/${accountId}/${groupId}`,
  /** A group's name, claimed per VPC by create-if-absent: names are unique in a VPC. */
  groupName: (accountId: string, vpcId: string, groupName: string) =>
    `${root}/security-group-names/${accountId}/${vpcId}/${encodeURIComponent(groupName)}`,
  networkInterfaces: (accountId: string) => `${root}/network-interfaces/${accountId}/`,
  networkInterface: (accountId: string, networkInterfaceId: string) =>
    `${root}/network-interfaces/${accountId}/${networkInterfaceId}`,
  /** Client tokens of CreateVpc, CreateSubnet and CreateSecurityGroup: what each made (create-tokens.ts). */
  createToken: (kind: string, accountId: string, token: string) =>
    `${root}/create-tokens/${kind}/${accountId}/${encodeURIComponent(token)}`,
  /** CreateNetworkInterface's client tokens: which interface each made (service-kit client-tokens). */
  interfaceClientToken: (accountId: string, token: string) =>
    `${root}/interface-client-tokens/${accountId}/${encodeURIComponent(token)}`,
  privateIps: (accountId: string) => `${root}/private-ips/${accountId}/`,
  /** A subnet's private addresses in use: `<subnet-id>/<ip>`, each claimed by create-if-absent. */
  subnetPrivateIps: (accountId: string, subnetId: string) => `${root}/private-ips/${accountId}/${subnetId}/`,
  privateIp: (accountId: string, subnetId: string, ip: string) =>
    `${root}/private-ips/${accountId}/${subnetId}/${ip}`,
} as const;
