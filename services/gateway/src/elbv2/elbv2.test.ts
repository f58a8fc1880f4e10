/**
 * ELBv2 through the gateway with the AWS SDK's ELBv2 client, on the
 * load-balancer service (its data plane off: the API is what is tested here):
 * target groups, load balancers, listeners, rules, targets, attributes and
 * tags, and ELBv2's own error dialect.
 */
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeSSLPoliciesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  SetRulePrioritiesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { useGatewayUnderTest } from '../testing/gateway-under-test.js';
import { sdkError } from '../testing/sdk-error.js';

const gw = useGatewayUnderTest({ compute: true, loadBalancer: true });

describe('ELBv2 through the gateway', () => {
  it('builds a load balancer with a listener, a rule and a target group, and takes it down', async () => {
    const elb = gw.elbv2();
    const { Subnets } = await gw.ec2().send(new DescribeSubnetsCommand({}));
    const subnetIds = (Subnets ?? []).map((s) => s.SubnetId ?? '');
    const vpcId = Subnets?.[0]?.VpcId ?? '';
    expect(subnetIds.length).toBeGreaterThanOrEqual(2);

    const { TargetGroups } = await elb.send(
      new CreateTargetGroupCommand({
        Name: 'web',
        Protocol: 'HTTP',
        Port: 8080,
        VpcId: vpcId,
        TargetType: 'ip',
      }),
    );
    const targetGroupArn = TargetGroups?.[0]?.TargetGroupArn ?? '';
    expect(targetGroupArn).toMatch(/^arn:aws:elasticloadbalancing:nimbus-1:\d{12}:targetgroup\/web\//);
    expect(TargetGroups?.[0]?.HealthCheckPath).toBe('/');

    const { LoadBalancers } = await elb.send(
      new CreateLoadBalancerCommand({
        Name: 'front',
        Subnets: subnetIds,
        Tags: [{ Key: 'team', Value: 'web' }],
      }),
    );
    const lb = LoadBalancers?.[0];
    const loadBalancerArn = lb?.LoadBalancerArn ?? '';
    expect(lb).toMatchObject({ LoadBalancerName: 'front', Type: 'application', VpcId: vpcId });
    expect(lb?.DNSName).toBeTruthy();
    expect(lb?.CreatedTime).toBeInstanceOf(Date);

    const { Listeners } = await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: loadBalancerArn,
        Protocol: 'HTTP',
        Port: 18080,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
      }),
    );
    const listenerArn = Listeners?.[0]?.ListenerArn ?? '';
    expect(Listeners?.[0]?.DefaultActions?.[0]).toMatchObject({
      Type: 'forward',
      TargetGroupArn: targetGroupArn,
    });

    const { Rules } = await elb.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }],
        Actions: [
          { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '418', ContentType: 'text/plain' } },
        ],
      }),
    );
    const ruleArn = Rules?.[0]?.RuleArn ?? '';
    expect(Rules?.[0]?.Priority).toBe('10');

    const described = await elb.send(new DescribeLoadBalancersCommand({ Names: ['front'] }));
    expect(described.LoadBalancers?.map((l) => l.LoadBalancerArn)).toEqual([loadBalancerArn]);
    const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }));
    expect(listeners.Listeners?.map((l) => l.Port)).toEqual([18080]);
    await elb.send(new ModifyListenerCommand({ ListenerArn: listenerArn, Port: 18081 }));
    const rules = await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
    expect(rules.Rules?.map((r) => r.Priority).sort()).toEqual(['10', 'default']);
    await elb.send(
      new ModifyRuleCommand({ RuleArn: ruleArn, Conditions: [{ Field: 'path-pattern', Values: ['/v2/*'] }] }),
    );
    const reordered = await elb.send(
      new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: ruleArn, Priority: 20 }] }),
    );
    expect(reordered.Rules?.[0]?.Priority).toBe('20');

    await elb.send(
      new ModifyTargetGroupCommand({ TargetGroupArn: targetGroupArn, HealthCheckPath: '/health' }),
    );
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: targetGroupArn,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }],
      }),
    );
    const attributes = await elb.send(
      new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }),
    );
    expect(attributes.Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '5' });
    const groups = await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: loadBalancerArn }));
    expect(groups.TargetGroups?.[0]).toMatchObject({
      TargetGroupArn: targetGroupArn,
      HealthCheckPath: '/health',
    });

    const target = Subnets?.[0]?.CidrBlock?.replace(/\.0\/\d+$/, '.10') ?? '';
    await elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: target, Port: 8080 }] }),
    );
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    expect(health.TargetHealthDescriptions?.[0]?.Target).toMatchObject({ Id: target, Port: 8080 });
    await elb.send(
      new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [{ Id: target, Port: 8080 }] }),
    );

    await elb.send(
      new AddTagsCommand({ ResourceArns: [targetGroupArn], Tags: [{ Key: 'tier', Value: 'app' }] }),
    );
    const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [loadBalancerArn, targetGroupArn] }));
    expect(tags.TagDescriptions?.map((t) => t.Tags)).toEqual([
      [{ Key: 'team', Value: 'web' }],
      [{ Key: 'tier', Value: 'app' }],
    ]);
    await elb.send(new RemoveTagsCommand({ ResourceArns: [targetGroupArn], TagKeys: ['tier'] }));

    await elb.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
    await elb.send(new DeleteListenerCommand({ ListenerArn: listenerArn }));
    await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: loadBalancerArn }));
    await elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: targetGroupArn }));
    const gone = await sdkError(elb.send(new DescribeLoadBalancersCommand({ Names: ['front'] })));
    expect(gone.name).toBe('LoadBalancerNotFoundException');
    expect(gone.$metadata.httpStatusCode).toBe(400);
  });

  it("answers in ELBv2's dialect: unknown actions, unknown keys", async () => {
    const policies = await sdkError(gw.elbv2().send(new DescribeSSLPoliciesCommand({})));
    expect(policies.name).toBe('InvalidAction');
    expect(policies.message).toContain('DescribeSSLPolicies');
    const unknown = await sdkError(
      gw
        .elbv2({ ...gw.keyA, accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' })
        .send(new DescribeLoadBalancersCommand({})),
    );
    expect(unknown.name).toBe('InvalidClientTokenId');
    expect(unknown.$metadata.httpStatusCode).toBe(403);
  });
});
