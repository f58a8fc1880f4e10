export { targetHealthChangedSubject } from './dataplane/data-plane.js';
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
export { ElbError, ElbErrorCode } from './domain/elb-errors.js';
export { type LbConfig, lbConfigSpec } from './lb-config.js';
export { metricsSubject, type TrafficSample } from './metrics/traffic-samples.js';
export { createLoadBalancerServiceModule, type LoadBalancerModuleOptions, serviceModule } from './service.js';
