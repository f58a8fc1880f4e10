/** The refusals of the Elastic IP actions, with EC2's codes and wording. */
import { NetworkError, NetworkErrorCode } from '../domain/network-errors.js';

export const AddressErrorCode = {
  AllocationIdNotFound: 'InvalidAllocationID.NotFound',
  AllocationIdMalformed: 'InvalidAllocationID.Malformed',
  AddressNotFound: 'InvalidAddress.NotFound',
  PublicIpv4PoolNotFound: 'InvalidPublicIpv4PoolID.NotFound',
  NetworkInterfaceIdMalformed: 'InvalidNetworkInterfaceID.Malformed',
} as const;

export function allocationIdNotFound(allocationId: string): NetworkError {
  return new NetworkError(
    AddressErrorCode.AllocationIdNotFound,
    `The allocation ID '${allocationId}' does not exist`,
  );
}

export function allocationIdMalformed(allocationId: string): NetworkError {
  return new NetworkError(
    AddressErrorCode.AllocationIdMalformed,
    `The allocation ID '${allocationId}' is malformed`,
  );
}

export function addressNotFound(publicIp: string): NetworkError {
  return new NetworkError(AddressErrorCode.AddressNotFound, `Address '${publicIp}' not found.`);
}

/** ReleaseAddress of an address still associated. */
export function addressAssociated(allocationId: string): NetworkError {
  return new NetworkError(
    NetworkErrorCode.InvalidIPAddressInUse,
    `The address with allocation id [${allocationId}] is in use`,
  );
}

export function publicIpv4PoolNotFound(pool: string): NetworkError {
  return new NetworkError(AddressErrorCode.PublicIpv4PoolNotFound, `The pool ID '${pool}' does not exist`);
}
