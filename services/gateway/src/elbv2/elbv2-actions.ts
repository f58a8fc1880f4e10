/**
 * The Elastic Load Balancing v2 actions the gateway serves (API version
 * 2015-12-01), one entry each, all served by the load-balancer service.
 * Names on the wire are the query style of wire-names.ts, with the
 * exceptions listed at the end of this file.
 */
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import { action, type QueryAction } from '../query/query-action.js';
import { nameExceptions } from '../query/wire-names.js';

const lb = LoadBalancingService.method;

export const elbv2Actions: readonly QueryAction[] = [
  action('load-balancer', lb.createLoadBalancer, { required: ['Name'] }),
  action('load-balancer', lb.describeLoadBalancers),
  action('load-balancer', lb.deleteLoadBalancer, { required: ['LoadBalancerArn'] }),
  action('load-balancer', lb.createListener, { required: ['LoadBalancerArn', 'DefaultActions'] }),
  action('load-balancer', lb.describeListeners),
  action('load-balancer', lb.modifyListener, { required: ['ListenerArn'] }),
  action('load-balancer', lb.deleteListener, { required: ['ListenerArn'] }),
  action('load-balancer', lb.createRule, { required: ['ListenerArn', 'Conditions', 'Priority', 'Actions'] }),
  action('load-balancer', lb.describeRules),
  action('load-balancer', lb.modifyRule, { required: ['RuleArn'] }),
  action('load-balancer', lb.deleteRule, { required: ['RuleArn'] }),
  action('load-balancer', lb.setRulePriorities, { required: ['RulePriorities'] }),
  action('load-balancer', lb.createTargetGroup, { required: ['Name'] }),
  action('load-balancer', lb.describeTargetGroups),
  action('load-balancer', lb.modifyTargetGroup, { required: ['TargetGroupArn'] }),
  action('load-balancer', lb.deleteTargetGroup, { required: ['TargetGroupArn'] }),
  action('load-balancer', lb.describeTargetGroupAttributes, { required: ['TargetGroupArn'] }),
  action('load-balancer', lb.modifyTargetGroupAttributes, { required: ['TargetGroupArn', 'Attributes'] }),
  action('load-balancer', lb.registerTargets, { required: ['TargetGroupArn', 'Targets'] }),
  action('load-balancer', lb.deregisterTargets, { required: ['TargetGroupArn', 'Targets'] }),
  action('load-balancer', lb.describeTargetHealth, { required: ['TargetGroupArn'] }),
  action('load-balancer', lb.addTags, { required: ['ResourceArns', 'Tags'] }),
  action('load-balancer', lb.removeTags, { required: ['ResourceArns', 'TagKeys'] }),
  action('load-balancer', lb.describeTags, { required: ['ResourceArns'] }),
];

// Where ELBv2's names differ from the PascalCase of the proto field (acronyms).
nameExceptions('response', 'nimbus.loadbalancing.v1.LoadBalancer', { dns_name: 'DNSName' });
nameExceptions('response', 'nimbus.loadbalancing.v1.LoadBalancerAddress', {
  private_ipv4_address: 'PrivateIPv4Address',
});
