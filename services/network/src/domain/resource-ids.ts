import { isId } from './ids.js';
import { NetworkError, NetworkErrorCode } from './network-errors.js';

/**
 * How EC2 refuses an id of the network domain: empty is `MissingParameter`,
 * not of the kind's form is `<Kind>ID.Malformed`, well-formed but unknown to
 * the caller's account is `<Kind>ID.NotFound`, each with EC2's wording.
 */
export interface ResourceKind {
  prefix: string;
  /** The request parameter, for MissingParameter: `VpcId`. */
  parameter: string;
  malformed: string;
  notFound: string;
  /** EC2's noun in "The vpc ID '…' does not exist". */
  noun: string;
}

export const ResourceKinds = {
  vpc: {
    prefix: 'vpc',
    parameter: 'VpcId',
    malformed: 'InvalidVpcID.Malformed',
    notFound: 'InvalidVpcID.NotFound',
    noun: 'vpc ID',
  },
  subnet: {
    prefix: 'subnet',
    parameter: 'SubnetId',
    malformed: 'InvalidSubnetID.Malformed',
    notFound: 'InvalidSubnetID.NotFound',
    noun: 'subnet ID',
  },
  securityGroup: {
    prefix: 'sg',
    parameter: 'GroupId',
    malformed: 'InvalidGroupId.Malformed',
    notFound: NetworkErrorCode.InvalidGroupNotFound,
    noun: 'security group',
  },
  securityGroupRule: {
    prefix: 'sgr',
    parameter: 'SecurityGroupRuleId',
    malformed: 'InvalidSecurityGroupRuleId.Malformed',
    notFound: NetworkErrorCode.InvalidSecurityGroupRuleIdNotFound,
    noun: 'security group rule ID',
  },
  networkInterface: {
    prefix: 'eni',
    parameter: 'NetworkInterfaceId',
    malformed: 'InvalidNetworkInterfaceID.Malformed',
    notFound: 'InvalidNetworkInterfaceID.NotFound',
    noun: 'networkInterface ID',
  },
  /** Instances are compute's; the network service names them in associations and attachments. */
  instance: {
    prefix: 'i',
    parameter: 'InstanceId',
    malformed: 'InvalidInstanceID.Malformed',
    notFound: 'InvalidInstanceID.NotFound',
    noun: 'instance ID',
  },
  addressAssociation: {
    prefix: 'eipassoc',
    parameter: 'AssociationId',
    malformed: 'InvalidAssociationID.Malformed',
    notFound: 'InvalidAssociationID.NotFound',
    noun: 'association ID',
  },
  interfaceAttachment: {
    prefix: 'eni-attach',
    parameter: 'AttachmentId',
    malformed: 'InvalidAttachmentID.Malformed',
    notFound: 'InvalidAttachmentID.NotFound',
    noun: 'attachment ID',
  },
} as const satisfies Record<string, ResourceKind>;

export function missingParameter(parameter: string): NetworkError {
  return new NetworkError(
    NetworkErrorCode.MissingParameter,
    `The request must contain the parameter ${parameter}`,
  );
}

/** Refuses an empty or malformed id of that kind; returns it for chaining. */
export function requireId(kind: ResourceKind, id: string): string {
  if (id === '') throw missingParameter(kind.parameter);
  if (!isId(kind.prefix, id)) {
    throw new NetworkError(kind.malformed, `Invalid id: "${id}" (expecting "${kind.prefix}-...")`);
  }
  return id;
}

export function notFound(kind: ResourceKind, id: string): NetworkError {
  return new NetworkError(kind.notFound, `The ${kind.noun} '${id}' does not exist`);
}

export function dependencyViolation(noun: string, id: string): NetworkError {
  return new NetworkError(
    NetworkErrorCode.DependencyViolation,
    `The ${noun} '${id}' has dependencies and cannot be deleted.`,
  );
}
