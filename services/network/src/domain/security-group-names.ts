import { invalidParameterValue, NetworkError, NetworkErrorCode } from './network-errors.js';

/**
 * The naming rules of security groups and the limit of groups per interface.
 * Uniqueness per VPC (`InvalidGroup.Duplicate`) needs the store and lives in the service.
 */
export const defaultGroupName = 'default';
export const maxGroupNameLength = 255;
/** EC2: 5 security groups per network interface. */
export const defaultGroupsPerInterfaceLimit = 5;

const vpcGroupText = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

function checkText(parameter: string, value: string): void {
  if (value.length === 0) {
    throw new NetworkError(
      NetworkErrorCode.MissingParameter,
      `The request must contain the parameter ${parameter}`,
    );
  }
  if (value.length > maxGroupNameLength) {
    throw invalidParameterValue(
      `Value for parameter ${parameter} is invalid. Length exceeds maximum of 255 characters.`,
    );
  }
  if (!vpcGroupText.test(value)) {
    throw invalidParameterValue(
      `Value (${value}) for parameter ${parameter} is invalid. Character sets beyond a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$* are not allowed.`,
    );
  }
}

/** A name for CreateSecurityGroup: `default` is reserved and `sg-` is refused, as in EC2. */
export function validateGroupName(name: string): void {
  checkText('GroupName', name);
  if (name === defaultGroupName) {
    throw new NetworkError(NetworkErrorCode.InvalidGroupReserved, "The security group 'default' is reserved");
  }
  if (name.toLowerCase().startsWith('sg-')) {
    throw invalidParameterValue(`Group names may not be in the format sg-*.`);
  }
}

export function validateGroupDescription(description: string): void {
  checkText('GroupDescription', description);
}

/** The groups of one interface: at most five, no repeats. */
export function checkGroupsPerInterface(
  groupIds: readonly string[],
  limit = defaultGroupsPerInterfaceLimit,
): string[] {
  const unique = [...new Set(groupIds)];
  if (unique.length > limit) {
    throw new NetworkError(
      NetworkErrorCode.SecurityGroupsPerInterfaceLimitExceeded,
      'The maximum number of security groups per interface has been reached.',
    );
  }
  return unique;
}

/** The default group of a VPC cannot be deleted. */
export function checkGroupDeletable(groupName: string, groupId: string): void {
  if (groupName === defaultGroupName) {
    throw new NetworkError(
      NetworkErrorCode.CannotDelete,
      `the specified group: "${groupId}" name: "default" cannot be deleted by a user`,
    );
  }
}
