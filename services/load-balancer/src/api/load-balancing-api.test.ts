import { errorCode, refusal } from '@nimbus/service-kit';
import { freePort, waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { testSubnets, testVpcId } from '../testing/fake-neighbours.js';
import { accountA, useLoadBalancerUnderTest } from '../testing/load-balancer-under-test.js';

const lb = useLoadBalancerUnderTest({ octet: 121 });
const subnets = testSubnets.map((s) => s.subnetId);

async function activeLoadBalancer(name: string, extra: { scheme?: string; type?: string } = {}) {
  const [created] = (await lb.client.createLoadBalancer({ name, subnets, ...extra })).loadBalancers;
  const arn = created?.loadBalancerArn ?? '';
  await waitUntil(async () => {
    const [found] = (await lb.client.describeLoadBalancers({ loadBalancerArns: [arn] })).loadBalancers;
    return found?.state?.code === 'active';
  });
  return (await lb.client.describeLoadBalancers({ loadBalancerArns: [arn] })).loadBalancers[0];
}

async function httpGroup(name: string) {
  const [group] = (
    await lb.client.createTargetGroup({
      name,
      protocol: 'HTTP',
      port: 80,
      vpcId: testVpcId,
      targetType: 'ip',
    })
  ).targetGroups;
  return group?.targetGroupArn ?? '';
}

describe('target groups', () => {
  it("takes ELBv2's health-check defaults and ranges", async () => {
    const [group] = (
      await lb.client.createTargetGroup({ name: 'web', protocol: 'HTTP', port: 8080, vpcId: testVpcId })
    ).targetGroups;
    expect(group?.targetGroupArn).toMatch(
      /^arn:aws:elasticloadbalancing:nimbus-1:111111111111:targetgroup\/web\/[0-9a-f]{16}$/,
    );
    expect(group).toMatchObject({
      healthCheckProtocol: 'HTTP',
      healthCheckPort: 'traffic-port',
      healthCheckPath: '/',
      healthCheckIntervalSeconds: 30,
      healthCheckTimeoutSeconds: 5,
      healthyThresholdCount: 5,
      unhealthyThresholdCount: 2,
      matcher: { httpCode: '200' },
      targetType: 'instance',
    });
    const [tcp] = (
      await lb.client.createTargetGroup({ name: 'tcp', protocol: 'TCP', port: 5432, vpcId: testVpcId })
    ).targetGroups;
    expect(tcp).toMatchObject({
      healthCheckProtocol: 'TCP',
      healthCheckTimeoutSeconds: 10,
      healthCheckPath: '',
    });

    const bad = (fields: object) =>
      errorCode(
        lb.client.createTargetGroup({ name: 'bad', protocol: 'HTTP', port: 80, vpcId: testVpcId, ...fields }),
      );
    expect(await bad({ healthCheckIntervalSeconds: 4 })).toBe('ValidationError');
    expect(await bad({ healthCheckIntervalSeconds: 301 })).toBe('ValidationError');
    expect(await bad({ healthyThresholdCount: 11 })).toBe('ValidationError');
    expect(await bad({ unhealthyThresholdCount: 1 })).toBe('ValidationError');
    expect(await bad({ healthCheckTimeoutSeconds: 30, healthCheckIntervalSeconds: 30 })).toBe(
      'ValidationError',
    );
    expect(await bad({ matcher: { httpCode: '500' } })).toBe('ValidationError');
    expect(await bad({ healthCheckProtocol: 'TCP' })).toBe('ValidationError');
    expect(await bad({ name: '-bad' })).toBe('ValidationError');
    expect(await bad({ protocol: 'UDP' })).toBe('UnsupportedProtocol');
    expect(
      await errorCode(
        lb.client.createTargetGroup({ name: 'web', protocol: 'HTTP', port: 81, vpcId: testVpcId }),
      ),
    ).toBe('DuplicateTargetGroupName');
  });

  it('keeps attributes within their ranges', async () => {
    const arn = await httpGroup('attrs');
    const attrs = (await lb.client.describeTargetGroupAttributes({ targetGroupArn: arn })).attributes;
    expect(Object.fromEntries(attrs.map((a) => [a.key, a.value]))).toMatchObject({
      'deregistration_delay.timeout_seconds': '300',
      'load_balancing.algorithm.type': 'round_robin',
      'slow_start.duration_seconds': '0',
    });
    const set = (key: string, value: string) =>
      lb.client.modifyTargetGroupAttributes({ targetGroupArn: arn, attributes: [{ key, value }] });
    expect(await errorCode(set('deregistration_delay.timeout_seconds', '3601'))).toBe('ValidationError');
    expect(await errorCode(set('slow_start.duration_seconds', '10'))).toBe('ValidationError');
    expect(await errorCode(set('load_balancing.algorithm.type', 'random'))).toBe('ValidationError');
    await set('load_balancing.algorithm.type', 'least_outstanding_requests');
    await set('slow_start.duration_seconds', '30');
    expect(await errorCode(set('load_balancing.algorithm.type', 'weighted_random'))).toBe('ValidationError');
  });

  it('registers ip targets in 127.0.0.0/8 and instance targets that run, asking compute for the caller', async () => {
    const arn = await httpGroup('targets');
    expect(
      await errorCode(lb.client.registerTargets({ targetGroupArn: arn, targets: [{ id: '10.0.0.1' }] })),
    ).toBe('InvalidTarget');
    await lb.client.registerTargets({ targetGroupArn: arn, targets: [{ id: '127.121.9.1', port: 8080 }] });
    const health = (await lb.client.describeTargetHealth({ targetGroupArn: arn })).targetHealthDescriptions;
    expect(health.map((h) => [h.target?.id, h.target?.port])).toEqual([['127.121.9.1', 8080]]);
    await waitUntil(async () => {
      const [h] = (await lb.client.describeTargetHealth({ targetGroupArn: arn })).targetHealthDescriptions;
      return h?.targetHealth?.state === 'unused' && h.targetHealth.reason === 'Target.NotInUse';
    });
    const [notRegistered] = (
      await lb.client.describeTargetHealth({
        targetGroupArn: arn,
        targets: [{ id: '127.121.9.2', port: 80 }],
      })
    ).targetHealthDescriptions;
    expect(notRegistered?.targetHealth).toMatchObject({ state: 'unused', reason: 'Target.NotRegistered' });
    expect(
      await errorCode(lb.client.deregisterTargets({ targetGroupArn: arn, targets: [{ id: '127.121.9.9' }] })),
    ).toBe('InvalidTarget');

    const [instances] = (
      await lb.client.createTargetGroup({ name: 'instances', protocol: 'HTTP', port: 80, vpcId: testVpcId })
    ).targetGroups;
    const groupArn = instances?.targetGroupArn ?? '';
    lb.neighbours.instances.set('i-0123456789abcdef0', {
      instanceId: 'i-0123456789abcdef0',
      state: 'running',
      privateIp: '127.121.9.3',
    });
    lb.neighbours.instances.set('i-0123456789abcdef1', {
      instanceId: 'i-0123456789abcdef1',
      state: 'stopped',
      privateIp: '',
    });
    await lb.client.registerTargets({ targetGroupArn: groupArn, targets: [{ id: 'i-0123456789abcdef0' }] });
    expect(lb.neighbours.describeCalls.at(-1)).toBe(accountA);
    expect(
      await errorCode(
        lb.client.registerTargets({ targetGroupArn: groupArn, targets: [{ id: 'i-0123456789abcdef1' }] }),
      ),
    ).toBe('InvalidTarget');
    expect(
      await errorCode(
        lb.client.registerTargets({ targetGroupArn: groupArn, targets: [{ id: 'i-0123456789abcdeff' }] }),
      ),
    ).toBe('InvalidTarget');
    expect(
      await errorCode(
        lb.client.registerTargets({ targetGroupArn: groupArn, targets: [{ id: '127.0.0.1' }] }),
      ),
    ).toBe('InvalidTarget');
  });

  it('lets a terminated instance leave its target groups by itself', async () => {
    const [group] = (
      await lb.client.createTargetGroup({ name: 'leaving', protocol: 'HTTP', port: 80, vpcId: testVpcId })
    ).targetGroups;
    const arn = group?.targetGroupArn ?? '';
    const id = 'i-0123456789abcdef2';
    lb.neighbours.instances.set(id, { instanceId: id, state: 'running', privateIp: '127.121.9.4' });
    await lb.client.registerTargets({ targetGroupArn: arn, targets: [{ id }] });
    const publish = () =>
      lb.bus.publish({
        subject: 'nimbus.compute.instance.state-changed',
        accountId: accountA,
        resourceId: id,
        detailJson: JSON.stringify({ previousState: 'running', currentState: 'terminated' }),
      });
    // An event that compute does not back up changes nothing (once compute was asked).
    const asked = lb.neighbours.describeCalls.length;
    await publish();
    await waitUntil(() => lb.neighbours.describeCalls.length > asked);
    expect(
      (await lb.client.describeTargetHealth({ targetGroupArn: arn })).targetHealthDescriptions,
    ).toHaveLength(1);
    lb.neighbours.instances.set(id, { instanceId: id, state: 'terminated', privateIp: '' });
    await publish();
    await waitUntil(
      async () =>
        (await lb.client.describeTargetHealth({ targetGroupArn: arn })).targetHealthDescriptions.length === 0,
    );
  });

  it('refuses more targets than a group may hold', async () => {
    const arn = await httpGroup('many');
    const targets = Array.from({ length: 1001 }, (_, i) => ({
      id: `127.121.${10 + Math.floor(i / 250)}.${i % 250}`,
    }));
    expect(await errorCode(lb.client.registerTargets({ targetGroupArn: arn, targets }))).toBe(
      'TooManyTargets',
    );
  });
});

describe('load balancers, listeners and rules', () => {
  it('creates a load balancer with its addresses and an ELBv2 ARN, unique by name, invisible to others', async () => {
    const found = await activeLoadBalancer('front');
    expect(found?.loadBalancerArn).toMatch(
      /^arn:aws:elasticloadbalancing:nimbus-1:111111111111:loadbalancer\/app\/front\/[0-9a-f]{16}$/,
    );
    expect(found?.availabilityZones.map((z) => z.zoneName)).toEqual(['nimbus-1a', 'nimbus-1b']);
    for (const zone of found?.availabilityZones ?? []) {
      expect(zone.loadBalancerAddresses[0]?.ipAddress).toMatch(/^127\.121\.2\.\d+$/);
      expect(zone.loadBalancerAddresses[0]?.privateIpv4Address).toMatch(/^127\.121\.1\.\d+$/);
    }
    expect(await errorCode(lb.client.createLoadBalancer({ name: 'front', subnets }))).toBe(
      'DuplicateLoadBalancerName',
    );
    expect(
      await errorCode(lb.client.createLoadBalancer({ name: 'one-zone', subnets: subnets.slice(0, 1) })),
    ).toBe('ValidationError');
    expect(await errorCode(lb.client.createLoadBalancer({ name: 'internal-x', subnets }))).toBe(
      'ValidationError',
    );
    expect(
      await errorCode(lb.client.createLoadBalancer({ name: 'nosub', subnets: ['subnet-0000000000000ffff'] })),
    ).toBe('SubnetNotFound');
    expect(
      await errorCode(
        lb.otherAccount.describeLoadBalancers({ loadBalancerArns: [found?.loadBalancerArn ?? ''] }),
      ),
    ).toBe('LoadBalancerNotFound');
    expect(await errorCode(lb.client.describeLoadBalancers({ names: ['nobody'] }))).toBe(
      'LoadBalancerNotFound',
    );
  });

  it('marks a load balancer failed when the network service refuses its addresses', async () => {
    lb.neighbours.refuseInterfaces = true;
    try {
      const [created] = (await lb.client.createLoadBalancer({ name: 'full', subnets })).loadBalancers;
      expect(created?.state?.code).toBe('provisioning');
      await waitUntil(async () => {
        const [found] = (await lb.client.describeLoadBalancers({ names: ['full'] })).loadBalancers;
        return found?.state?.code === 'failed' && found.state.reason.includes('no free address');
      });
    } finally {
      lb.neighbours.refuseInterfaces = false;
    }
  });

  it('gives back the addresses of a load balancer deleted while it was still provisioning', async () => {
    const before = new Set(lb.neighbours.interfaces.keys());
    lb.neighbours.interfaceDelayMs = 300;
    try {
      const [created] = (await lb.client.createLoadBalancer({ name: 'short-lived', subnets })).loadBalancers;
      await waitUntil(() => lb.neighbours.interfaces.size > before.size);
      await lb.client.deleteLoadBalancer({ loadBalancerArn: created?.loadBalancerArn ?? '' });
      expect(await errorCode(lb.client.describeLoadBalancers({ names: ['short-lived'] }))).toBe(
        'LoadBalancerNotFound',
      );
      await waitUntil(async () => {
        const all = await lb.store.list('/nimbus/loadbalancing/load-balancers/');
        return !all.items.some((kv) => kv.value.includes('short-lived'));
      });
      expect([...lb.neighbours.interfaces.keys()].filter((id) => !before.has(id))).toEqual([]);
    } finally {
      lb.neighbours.interfaceDelayMs = 0;
    }
  });

  it('keeps listeners, rules and target groups consistent', async () => {
    const front = await activeLoadBalancer('rules');
    const lbArn = front?.loadBalancerArn ?? '';
    // A port free on its address (the listener really listens on it).
    const port = await freePort(front?.availabilityZones[0]?.loadBalancerAddresses[0]?.ipAddress);
    const api = await httpGroup('api');
    const web = await httpGroup('web-rules');
    const [listener] = (
      await lb.client.createListener({
        loadBalancerArn: lbArn,
        port,
        defaultActions: [{ type: 'forward', targetGroupArn: web }],
      })
    ).listeners;
    const listenerArn = listener?.listenerArn ?? '';
    expect(listenerArn).toMatch(/:listener\/app\/rules\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
    expect(
      await errorCode(
        lb.client.createListener({
          loadBalancerArn: lbArn,
          port,
          defaultActions: [{ type: 'forward', targetGroupArn: api }],
        }),
      ),
    ).toBe('DuplicateListener');
    expect(
      await errorCode(
        lb.client.createListener({
          loadBalancerArn: lbArn,
          port: 8081,
          protocol: 'TCP',
          defaultActions: [{ type: 'forward', targetGroupArn: api }],
        }),
      ),
    ).toBe('UnsupportedProtocol');
    const condition = { field: 'path-pattern', values: ['/api/*'] };
    const [rule] = (
      await lb.client.createRule({
        listenerArn,
        priority: 10,
        conditions: [condition],
        actions: [{ type: 'forward', targetGroupArn: api }],
      })
    ).rules;
    expect(
      await errorCode(
        lb.client.createRule({
          listenerArn,
          priority: 10,
          conditions: [condition],
          actions: [{ type: 'forward', targetGroupArn: api }],
        }),
      ),
    ).toBe('PriorityInUse');
    expect(
      await errorCode(
        lb.client.createRule({
          listenerArn,
          priority: 50001,
          conditions: [condition],
          actions: [{ type: 'forward', targetGroupArn: api }],
        }),
      ),
    ).toBe('ValidationError');
    expect(
      await errorCode(
        lb.client.createRule({
          listenerArn,
          priority: 11,
          conditions: [{ field: 'path-pattern', values: ['/a', '/b', '/c', '/d', '/e', '/f'] }],
          actions: [{ type: 'forward', targetGroupArn: api }],
        }),
      ),
    ).toBe('ValidationError');
    const [second] = (
      await lb.client.createRule({
        listenerArn,
        priority: 20,
        conditions: [{ field: 'host-header', values: ['*.example.com'] }],
        actions: [
          {
            type: 'fixed-response',
            fixedResponseConfig: { statusCode: '404', messageBody: 'no', contentType: '' },
          },
        ],
      })
    ).rules;
    const rules = (await lb.client.describeRules({ listenerArn })).rules;
    expect(rules.map((r) => r.priority)).toEqual(['10', '20', 'default']);
    expect(rules.at(-1)?.isDefault).toBe(true);
    expect(
      await errorCode(
        lb.client.setRulePriorities({
          rulePriorities: [{ ruleArn: second?.ruleArn ?? '', priority: 10 }],
        }),
      ),
    ).toBe('PriorityInUse');
    await lb.client.setRulePriorities({
      rulePriorities: [
        { ruleArn: second?.ruleArn ?? '', priority: 10 },
        { ruleArn: rule?.ruleArn ?? '', priority: 20 },
      ],
    });
    expect((await lb.client.describeRules({ listenerArn })).rules.map((r) => r.ruleArn)).toEqual([
      second?.ruleArn,
      rule?.ruleArn,
      rules.at(-1)?.ruleArn,
    ]);

    // A group in use cannot go, nor serve a second load balancer.
    expect(await errorCode(lb.client.deleteTargetGroup({ targetGroupArn: api }))).toBe('ResourceInUse');
    const [groupView] = (await lb.client.describeTargetGroups({ targetGroupArns: [api] })).targetGroups;
    expect(groupView?.loadBalancerArns).toEqual([lbArn]);
    const other = await activeLoadBalancer('other');
    expect(
      await errorCode(
        lb.client.createListener({
          loadBalancerArn: other?.loadBalancerArn ?? '',
          port: 80,
          defaultActions: [{ type: 'forward', targetGroupArn: api }],
        }),
      ),
    ).toBe('TargetGroupAssociationLimit');

    await lb.client.deleteRule({ ruleArn: rule?.ruleArn ?? '' });
    await lb.client.deleteTargetGroup({ targetGroupArn: api });
    expect(await errorCode(lb.client.describeTargetGroups({ targetGroupArns: [api] }))).toBe(
      'TargetGroupNotFound',
    );
    expect(await errorCode(lb.client.describeRules({ ruleArns: [rule?.ruleArn ?? ''] }))).toBe(
      'RuleNotFound',
    );

    // Tags on every kind.
    await lb.client.addTags({
      resourceArns: [lbArn, web, listenerArn],
      tags: [{ key: 'team', value: 'edge' }],
    });
    const tags = (await lb.client.describeTags({ resourceArns: [lbArn, web, listenerArn] })).tagDescriptions;
    expect(tags.map((t) => t.tags.map((x) => x.key))).toEqual([['team'], ['team'], ['team']]);

    // Deleting the load balancer takes its listeners and gives its interfaces back.
    const enis =
      front?.availabilityZones.map((z) => z.loadBalancerAddresses[0]?.networkInterfaceId ?? '') ?? [];
    await lb.client.deleteLoadBalancer({ loadBalancerArn: lbArn });
    await waitUntil(() => enis.every((id) => !lb.neighbours.interfaces.has(id)));
    expect(await errorCode(lb.client.describeListeners({ listenerArns: [listenerArn] }))).toBe(
      'ListenerNotFound',
    );
    await lb.client.deleteTargetGroup({ targetGroupArn: web });
    const { message } = await refusal(lb.client.describeLoadBalancers({ loadBalancerArns: [lbArn] }));
    expect(message).toContain(lbArn);
  });
});
