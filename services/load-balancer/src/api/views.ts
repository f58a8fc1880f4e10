/** Records as the API shows them (ELBv2's shapes). */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  type Action,
  ActionSchema,
  type Listener,
  ListenerSchema,
} from '@nimbus/api/gen/nimbus/loadbalancing/v1/listener_pb';
import {
  type LoadBalancer,
  LoadBalancerSchema,
} from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancer_pb';
import { type Rule, RuleSchema } from '@nimbus/api/gen/nimbus/loadbalancing/v1/rule_pb';
import { type TargetGroup, TargetGroupSchema } from '@nimbus/api/gen/nimbus/loadbalancing/v1/target_group_pb';
import type { ActionSpec } from '../domain/actions.js';
import type { ListenerRecord, LoadBalancerRecord, RuleRecord, TargetGroupRecord } from '../state/records.js';

export function loadBalancerView(r: LoadBalancerRecord): LoadBalancer {
  return create(LoadBalancerSchema, {
    loadBalancerArn: r.arn,
    dnsName: `${r.scheme === 'internal' ? 'internal-' : ''}${r.name}-${r.hex.slice(0, 10)}.${r.region}.elb.nimbus.internal`,
    createdTime: timestampFromMs(r.createdTime),
    loadBalancerName: r.name,
    scheme: r.scheme,
    vpcId: r.vpcId,
    state: { code: r.state, reason: r.stateReason ?? '' },
    type: r.type,
    availabilityZones: r.zones.map((z) => ({
      zoneName: z.zoneName,
      subnetId: z.subnetId,
      loadBalancerAddresses: z.privateIp
        ? [
            {
              ipAddress: r.scheme === 'internet-facing' ? (z.publicIp ?? '') : z.privateIp,
              privateIpv4Address: z.privateIp,
              networkInterfaceId: z.networkInterfaceId ?? '',
            },
          ]
        : [],
    })),
    securityGroups: r.securityGroups,
    ipAddressType: 'ipv4',
  });
}

export function actionView(a: ActionSpec): Action {
  switch (a.type) {
    case 'forward':
      return create(ActionSchema, {
        type: 'forward',
        order: 1,
        ...(a.weighted ? {} : { targetGroupArn: a.targetGroups[0]?.targetGroupArn ?? '' }),
        forwardConfig: {
          targetGroups: a.targetGroups.map((g) => ({ targetGroupArn: g.targetGroupArn, weight: g.weight })),
        },
      });
    case 'redirect':
      return create(ActionSchema, {
        type: 'redirect',
        order: 1,
        redirectConfig: {
          protocol: a.protocol,
          port: a.port,
          host: a.host,
          path: a.path,
          query: a.query,
          statusCode: a.statusCode,
        },
      });
    case 'fixed-response':
      return create(ActionSchema, {
        type: 'fixed-response',
        order: 1,
        fixedResponseConfig: {
          statusCode: a.statusCode,
          contentType: a.contentType,
          messageBody: a.messageBody,
        },
      });
  }
}

export function listenerView(r: ListenerRecord): Listener {
  return create(ListenerSchema, {
    listenerArn: r.arn,
    loadBalancerArn: r.loadBalancerArn,
    port: r.port,
    protocol: r.protocol,
    defaultActions: [actionView(r.defaultAction)],
  });
}

export function defaultRuleArn(listener: ListenerRecord): string {
  return listener.arn
    .replace(':listener/', ':listener-rule/')
    .replace(/\/([0-9a-f]{16})$/, '/$1/0000000000000000');
}

export function ruleView(r: RuleRecord): Rule {
  return create(RuleSchema, {
    ruleArn: r.arn,
    priority: String(r.priority),
    conditions: r.conditions.map((c) =>
      c.field === 'path-pattern'
        ? { field: c.field, values: c.values, pathPatternConfig: { values: c.values } }
        : { field: c.field, values: c.values, hostHeaderConfig: { values: c.values } },
    ),
    actions: [actionView(r.action)],
    isDefault: false,
  });
}

/** A listener's default rule, as DescribeRules shows it last. */
export function defaultRuleView(listener: ListenerRecord): Rule {
  return create(RuleSchema, {
    ruleArn: defaultRuleArn(listener),
    priority: 'default',
    conditions: [],
    actions: [actionView(listener.defaultAction)],
    isDefault: true,
  });
}

export function targetGroupView(r: TargetGroupRecord, loadBalancerArns: string[]): TargetGroup {
  const h = r.healthCheck;
  return create(TargetGroupSchema, {
    targetGroupArn: r.arn,
    targetGroupName: r.name,
    protocol: r.protocol,
    port: r.port,
    vpcId: r.vpcId,
    healthCheckProtocol: h.protocol,
    healthCheckPort: h.port,
    healthCheckEnabled: h.enabled,
    healthCheckIntervalSeconds: h.intervalSeconds,
    healthCheckTimeoutSeconds: h.timeoutSeconds,
    healthyThresholdCount: h.healthyThreshold,
    unhealthyThresholdCount: h.unhealthyThreshold,
    healthCheckPath: h.path,
    ...(h.matcher ? { matcher: { httpCode: h.matcher } } : {}),
    loadBalancerArns,
    targetType: r.targetType,
  });
}
