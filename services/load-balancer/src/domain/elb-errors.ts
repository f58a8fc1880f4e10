/**
 * ELBv2's refusals: the codes its API answers with. Every refusal of this
 * service is an ElbError, which the API edge carries to the caller unchanged.
 */
import { ApiError } from '@nimbus/service-kit';

export const ElbErrorCode = {
  validation: 'ValidationError',
  duplicateLoadBalancerName: 'DuplicateLoadBalancerName',
  duplicateTargetGroupName: 'DuplicateTargetGroupName',
  duplicateListener: 'DuplicateListener',
  duplicateTagKeys: 'DuplicateTagKeys',
  loadBalancerNotFound: 'LoadBalancerNotFound',
  targetGroupNotFound: 'TargetGroupNotFound',
  listenerNotFound: 'ListenerNotFound',
  ruleNotFound: 'RuleNotFound',
  priorityInUse: 'PriorityInUse',
  tooManyTargets: 'TooManyTargets',
  tooManyRules: 'TooManyRules',
  tooManyListeners: 'TooManyListeners',
  tooManyLoadBalancers: 'TooManyLoadBalancers',
  tooManyTargetGroups: 'TooManyTargetGroups',
  tooManyTags: 'TooManyTags',
  tooManyActions: 'TooManyActions',
  invalidTarget: 'InvalidTarget',
  resourceInUse: 'ResourceInUse',
  targetGroupAssociationLimit: 'TargetGroupAssociationLimit',
  incompatibleProtocols: 'IncompatibleProtocols',
  unsupportedProtocol: 'UnsupportedProtocol',
  invalidConfigurationRequest: 'InvalidConfigurationRequest',
  invalidLoadBalancerAction: 'InvalidLoadBalancerAction',
  invalidScheme: 'InvalidScheme',
  invalidSubnet: 'InvalidSubnet',
  subnetNotFound: 'SubnetNotFound',
  invalidSecurityGroup: 'InvalidSecurityGroup',
  operationNotPermitted: 'OperationNotPermitted',
} as const;

export type ElbErrorCode = (typeof ElbErrorCode)[keyof typeof ElbErrorCode];

export class ElbError extends ApiError {
  override name = 'ElbError';

  constructor(code: ElbErrorCode, message: string) {
    super(code, message);
  }
}

export function validationError(message: string): ElbError {
  return new ElbError(ElbErrorCode.validation, message);
}
