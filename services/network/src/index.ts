export { rulesChangedSubject } from './api/security-group-rule-api.js';
export {
  type AddressClaimer,
  type AddressPool,
  type AddressPoolOptions,
  type AllocationStrategy,
  addressInUse,
  availableIpAddressCount,
  checkAddressQuota,
  checkRequestedPrivateAddress,
  createAddressPool,
  createPrivateAddressPool,
  createPublicAddressPool,
  defaultAddressQuota,
  defaultPublicPoolCidr,
} from './domain/address-pool.js';
export {
  type AddressHolding,
  type AddressPriceList,
  type AddressUsage,
  type AddressUsageReport,
  addressUsageReport,
  defaultAddressPriceList,
  type Interval,
  monthOf,
  monthWindow,
} from './domain/address-usage.js';
export {
  type Cidr,
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIpv4,
  hostRange,
  isLoopbackCidr,
  isReservedAddress,
  lastAddress,
  loopbackCidr,
  maxBlockPrefixLength,
  minBlockPrefixLength,
  parseCidr,
  parseIpv4,
  parseSubnetCidr,
  parseVpcCidr,
  requireLoopbackCidr,
  reservedAddressesPerSubnet,
  subnetsOf,
  tryParseIpv4,
  usableAddressCount,
} from './domain/cidr.js';
export {
  type DefaultSubnetPlan,
  type DefaultVpcLayout,
  defaultSubnetPrefixLength,
  defaultVpcLayout,
} from './domain/default-vpc-layout.js';
export { IdPrefix } from './domain/ids.js';
export {
  type AddressRequest,
  checkAddressRequest,
  chooseAddresses,
  maxPrivateAddressesPerInterface,
} from './domain/interface-addresses.js';
export {
  colonHex,
  createdRsaFingerprint,
  ed25519Fingerprint,
  type GeneratedKeyPair,
  generateKeyPair,
  type ImportedKeyPair,
  importedRsaFingerprint,
  importPublicKey,
  type KeyFormat,
  KeyPairErrorCode,
  type KeyType,
  maxKeyNameLength,
  parseKeyFormat,
  parseKeyType,
  validateKeyName,
} from './domain/key-pair.js';
export {
  invalidParameterValue,
  isNetworkError,
  NetworkError,
  NetworkErrorCode,
} from './domain/network-errors.js';
export {
  formatOpenSshEd25519PrivateKey,
  formatOpenSshPublicKey,
  openSshPublicKeyBlob,
  type ParsedPublicKey,
  parseOpenSshPublicKey,
  type SshKeyType,
} from './domain/openssh-keys.js';
export {
  dependencyViolation,
  missingParameter,
  notFound,
  type ResourceKind,
  ResourceKinds,
  requireId,
} from './domain/resource-ids.js';
export {
  allows,
  createRuleMatcher,
  type PortRange,
  type RuleMatcher,
  type TrafficQuery,
  type TrafficSource,
  tcpPortRanges,
} from './domain/rule-matcher.js';
export {
  checkGroupDeletable,
  checkGroupsPerInterface,
  defaultGroupName,
  defaultGroupsPerInterfaceLimit,
  maxGroupNameLength,
  validateGroupDescription,
  validateGroupName,
} from './domain/security-group-names.js';
export {
  type AuthorizeOptions,
  authorizeRules,
  defaultEgressRule,
  defaultGroupIngressRule,
  defaultRulesPerGroupLimit,
  describeRule,
  expandPermissions,
  type IpPermissionInput,
  normalizeProtocol,
  protocolNumber,
  type RevokeResult,
  type RuleDirection,
  revokeRules,
  ruleIdentity,
  type SecurityGroupRule,
  validateRuleDescription,
} from './domain/security-group-rules.js';
export {
  createEdge,
  type Edge,
  type EdgeListenerState,
  type EdgeListenerStatus,
} from './edge/edge.js';
export {
  compileEdgeTable,
  type EdgeMapping,
  EdgeMappingError,
  type EdgeRoute,
  listenerPorts,
} from './edge/edge-mapping.js';
export { type EdgeLogger, type EdgeOptions, resolveEdgeOptions } from './edge/edge-options.js';
export { createNetworkServiceModule, type NetworkModuleOptions, serviceModule } from './service.js';
export { createDefaultVpcs, type DefaultVpcs } from './state/default-vpc.js';
export { createNetworkState, type NetworkState } from './state/network-state.js';
export { vpcKeys } from './state/vpc-keys.js';
export type {
  DefaultVpcMarker,
  GroupNameClaim,
  NetworkInterfaceRecord,
  PrivateIpClaim,
  SecurityGroupRecord,
  StoredRule,
  SubnetRecord,
  VpcRecord,
} from './state/vpc-records.js';
