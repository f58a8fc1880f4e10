export {
  type ArnKind,
  type LoadBalancerType,
  listenerArn,
  loadBalancerArn,
  type ParsedArn,
  parseArn,
  ruleArn,
  targetGroupArn,
} from './domain/arns.js';
