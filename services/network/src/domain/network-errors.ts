/**
 * The EC2 error codes of the network domain, and the error the domain modules
 * throw. The modules stay free of gRPC; the service kit's `translatingErrors`
 * maps a refusal to the runtime's DomainError, which carries the code to the
 * caller unchanged.
 */
import { ApiError, isApiError } from '@nimbus/service-kit';

export const NetworkErrorCode = {
  InvalidParameterValue: 'InvalidParameterValue',
  InvalidParameterCombination: 'InvalidParameterCombination',
  MissingParameter: 'MissingParameter',
  InvalidVpcRange: 'InvalidVpc.Range',
  InvalidSubnetRange: 'InvalidSubnet.Range',
  InvalidSubnetConflict: 'InvalidSubnet.Conflict',
  InsufficientFreeAddressesInSubnet: 'InsufficientFreeAddressesInSubnet',
  InvalidIPAddressInUse: 'InvalidIPAddress.InUse',
  AddressLimitExceeded: 'AddressLimitExceeded',
  InsufficientAddressCapacity: 'InsufficientAddressCapacity',
  InvalidKeyPairFormat: 'InvalidKeyPair.Format',
  InvalidKeyFormat: 'InvalidKey.Format',
  InvalidKeyPairDuplicate: 'InvalidKeyPair.Duplicate',
  InvalidKeyPairNotFound: 'InvalidKeyPair.NotFound',
  InvalidPermissionDuplicate: 'InvalidPermission.Duplicate',
  InvalidPermissionNotFound: 'InvalidPermission.NotFound',
  InvalidPermissionMalformed: 'InvalidPermission.Malformed',
  RulesPerSecurityGroupLimitExceeded: 'RulesPerSecurityGroupLimitExceeded',
  InvalidSecurityGroupRuleIdNotFound: 'InvalidSecurityGroupRuleId.NotFound',
  InvalidGroupNotFound: 'InvalidGroup.NotFound',
  InvalidGroupDuplicate: 'InvalidGroup.Duplicate',
  InvalidGroupReserved: 'InvalidGroup.Reserved',
  CannotDelete: 'CannotDelete',
  SecurityGroupsPerInterfaceLimitExceeded: 'SecurityGroupsPerInterfaceLimitExceeded',
  ResourceAlreadyAssociated: 'Resource.AlreadyAssociated',
  DependencyViolation: 'DependencyViolation',
  InvalidPaginationToken: 'InvalidPaginationToken',
} as const;

export type NetworkErrorCode = (typeof NetworkErrorCode)[keyof typeof NetworkErrorCode];

/** A refusal with an EC2 error code, e.g. `InvalidPermission.Duplicate`. */
export class NetworkError extends ApiError {
  override name = 'NetworkError';
}

/**
 * Whether `error` is a refusal (of that code, when given): the network's own,
 * or one of the shared kit's (filters, pagination), which are the same to a caller.
 */
export function isNetworkError(error: unknown, code?: string): error is ApiError {
  return isApiError(error, code);
}

export function invalidParameterValue(message: string): NetworkError {
  return new NetworkError(NetworkErrorCode.InvalidParameterValue, message);
}
