/** The refusals of the network interface actions, with EC2's codes and wording. */
import { NetworkError } from '../domain/network-errors.js';

export const NetworkInterfaceErrorCode = {
  InUse: 'InvalidNetworkInterface.InUse',
  AttachmentLimitExceeded: 'AttachmentLimitExceeded',
} as const;

/** DeleteNetworkInterface or AttachNetworkInterface of an attached interface. */
export function interfaceInUse(networkInterfaceId: string): NetworkError {
  return new NetworkError(
    NetworkInterfaceErrorCode.InUse,
    `The network interface '${networkInterfaceId}' is currently in use.`,
  );
}
