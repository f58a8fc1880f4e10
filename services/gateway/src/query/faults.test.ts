/**
 * Throttling and a service that is down, as the SDK sees them: over the
 * account's bucket for an action, RequestLimitExceeded (503) while other
 * accounts and actions go on; a stopped downstream service, ServiceUnavailable
 * (503) at once rather than a hang.
 */
import { DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CreateVolumeCommand, DescribeKeyPairsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { useGatewayUnderTest } from '../testing/gateway-under-test.js';
import { sdkError } from '../testing/sdk-error.js';

// Two describe calls at once, then one every 100 seconds: the third call within a test is throttled.
const gw = useGatewayUnderTest({ throttle: '{"describe":{"burst":2,"rate":0.01}}' });

describe('throttling', () => {
  it('refuses the call past the bucket with RequestLimitExceeded, per account and action', async () => {
    const ec2 = gw.ec2();
    await ec2.send(new DescribeVolumesCommand({}));
    await ec2.send(new DescribeVolumesCommand({}));
    const error = await sdkError(ec2.send(new DescribeVolumesCommand({})));
    expect(error.name).toBe('RequestLimitExceeded');
    expect(error.$metadata.httpStatusCode).toBe(503);
    await expect(ec2.send(new DescribeKeyPairsCommand({}))).resolves.toBeDefined();
    await expect(gw.ec2(gw.keyB).send(new DescribeVolumesCommand({}))).resolves.toBeDefined();
  });
});

describe('the other Query APIs', () => {
  it('ELBv2 throttles with Throttling (400), before it would call the load balancer', async () => {
    const elb = gw.elbv2();
    for (let i = 0; i < 2; i++) {
      // This region has no load balancer: the calls the bucket lets through find it absent.
      expect((await sdkError(elb.send(new DescribeLoadBalancersCommand({})))).name).toBe(
        'ServiceUnavailable',
      );
    }
    const throttled = await sdkError(elb.send(new DescribeLoadBalancersCommand({})));
    expect(throttled.name).toBe('Throttling');
    expect(throttled.$metadata.httpStatusCode).toBe(400);
  });

  it('Auto Scaling answers InvalidAction naming the action, in its own error format', async () => {
    const error = await sdkError(gw.autoScaling().send(new DescribeAutoScalingGroupsCommand({})));
    expect(error.name).toBe('InvalidAction');
    expect(error.message).toContain('DescribeAutoScalingGroups');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });
});

describe('a service that is down', () => {
  it('answers ServiceUnavailable at once, and the other services still answer', async () => {
    await gw.stopService('block-storage');
    const started = performance.now();
    const error = await sdkError(
      gw.ec2(gw.keyB).send(new CreateVolumeCommand({ AvailabilityZone: 'nimbus-1a', Size: 1 })),
    );
    expect(error.name).toBe('ServiceUnavailable');
    expect(error.$metadata.httpStatusCode).toBe(503);
    expect(error.message).not.toMatch(/at |ECONNREFUSED|\.ts:/);
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(gw.ec2(gw.keyB).send(new DescribeKeyPairsCommand({}))).resolves.toBeDefined();
  });
});
