/**
 * What the service keeps in the store, one JSON record per resource, all
 * under /nimbus/loadbalancing/. The data plane follows that prefix and makes
 * the listeners and target groups it holds so.
 */
import type { ActionSpec } from '../domain/actions.js';
import type { LoadBalancerType } from '../domain/arns.js';
import type { ConditionSpec } from '../domain/conditions.js';
import type { HealthCheckSettings, TargetProtocol } from '../domain/health-check-settings.js';
import type { TargetGroupAttributes } from '../domain/target-group-attributes.js';

export interface TagRecord {
  key: string;
  value: string;
}

export interface LoadBalancerZone {
  zoneName: string;
  subnetId: string;
  /** Set once the interface exists. */
  networkInterfaceId?: string;
  privateIp?: string;
  /** internet-facing only, once allocated. */
  publicIp?: string;
}

/** provisioning -> active; deleting while its addresses go back. */
export type LoadBalancerStateCode = 'provisioning' | 'active' | 'failed' | 'deleting';

export interface LoadBalancerRecord {
  arn: string;
  hex: string;
  name: string;
  accountId: string;
  region: string;
  type: LoadBalancerType;
  scheme: 'internet-facing' | 'internal';
  vpcId: string;
  securityGroups: string[];
  zones: LoadBalancerZone[];
  state: LoadBalancerStateCode;
  stateReason?: string;
  createdTime: number;
  tags: TagRecord[];
}

export interface ListenerRecord {
  arn: string;
  hex: string;
  accountId: string;
  loadBalancerArn: string;
  port: number;
  protocol: 'HTTP' | 'TCP';
  defaultAction: ActionSpec;
  /** Its rules other than the default one, in no order: kept with the listener so that priorities change at once. */
  rules: RuleRecord[];
  tags: TagRecord[];
}

export interface RuleRecord {
  arn: string;
  hex: string;
  priority: number;
  conditions: ConditionSpec[];
  action: ActionSpec;
  tags: TagRecord[];
}

export interface TargetRecord {
  /** The instance id or IP address the caller registered. */
  id: string;
  port: number;
  availabilityZone?: string;
  /** Where traffic goes: the address itself, or the instance's private address. */
  ip: string;
  registeredAt: number;
  /** Set by DeregisterTargets while the deregistration delay runs. */
  drainingSince?: number;
}

export interface TargetGroupRecord {
  arn: string;
  hex: string;
  name: string;
  accountId: string;
  protocol: TargetProtocol;
  port: number;
  vpcId: string;
  targetType: 'instance' | 'ip';
  healthCheck: HealthCheckSettings;
  attributes: TargetGroupAttributes;
  targets: TargetRecord[];
  tags: TagRecord[];
}

export const lbPrefix = '/nimbus/loadbalancing/';

export const lbKeys = {
  loadBalancers: (accountId: string) => `${lbPrefix}load-balancers/${accountId}/`,
  loadBalancer: (accountId: string, hex: string) => `${lbPrefix}load-balancers/${accountId}/${hex}`,
  loadBalancerName: (accountId: string, name: string) =>
    `${lbPrefix}names/${accountId}/load-balancer/${name.toLowerCase()}`,
  listeners: (accountId: string) => `${lbPrefix}listeners/${accountId}/`,
  listener: (accountId: string, hex: string) => `${lbPrefix}listeners/${accountId}/${hex}`,
  listenerPort: (accountId: string, loadBalancerHex: string, port: number) =>
    `${lbPrefix}listener-ports/${accountId}/${loadBalancerHex}/${port}`,
  targetGroups: (accountId: string) => `${lbPrefix}target-groups/${accountId}/`,
  targetGroup: (accountId: string, hex: string) => `${lbPrefix}target-groups/${accountId}/${hex}`,
  targetGroupName: (accountId: string, name: string) =>
    `${lbPrefix}names/${accountId}/target-group/${name.toLowerCase()}`,
};
