import { createServer, type Server } from 'node:http';
import { freePort, waitUntil } from '@nimbus/testkit';
import { afterAll, expect, it } from 'vitest';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest({ loadBalancer: true });

/**
 * What runs on the group's instances: the test workers run no processes, so
 * the test answers health checks on each instance's private address itself,
 * until told to stop for one.
 */
function serveInstances(port: number) {
  // By instance id: a replacement may get the address of the instance it replaces.
  const servers = new Map<string, { ip: string; server: Server }>();
  const refused = new Set<string>();
  let running = true;
  let answering = false;
  const loop = (async () => {
    while (running) {
      if (!answering) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const { reservations } = await asg.compute.client.describeInstances({
        filters: [{ name: 'instance-state-name', values: ['pending', 'running'] }],
      });
      for (const instance of reservations.flatMap((r) => r.instances)) {
        const { instanceId, privateIpAddress: ip } = instance;
        if (!ip || servers.has(instanceId) || refused.has(instanceId)) continue;
        if ([...servers.values()].some((s) => s.ip === ip)) continue;
        const server = createServer((_, res) => res.end('ok'));
        servers.set(instanceId, { ip, server });
        await new Promise<void>((resolve) => server.listen(port, ip, resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    /** Starts answering on every instance (none answers before). */
    begin() {
      answering = true;
    },
    async refuse(instanceId: string) {
      refused.add(instanceId);
      const served = servers.get(instanceId);
      servers.delete(instanceId);
      await new Promise((resolve) => served?.server.close(resolve));
    },
    async stop() {
      running = false;
      await loop;
      for (const { server } of servers.values()) server.close();
    },
  };
}

const port = await freePort();
let serving: ReturnType<typeof serveInstances> | undefined;
afterAll(() => serving?.stop());

async function members() {
  const { autoScalingGroups } = await asg.client.describeAutoScalingGroups({
    autoScalingGroupNames: ['web'],
  });
  return autoScalingGroups[0]?.instances ?? [];
}

async function targets(targetGroupArn: string) {
  const { targetHealthDescriptions } = await asg.loadBalancing.describeTargetHealth({ targetGroupArn });
  return new Map(targetHealthDescriptions.map((d) => [d.target?.id ?? '', d.targetHealth?.state ?? '']));
}

it('registers instances with the target group, puts them InService when healthy, and replaces one that fails its checks after the grace period', async () => {
  serving = serveInstances(port);
  const { vpcs } = await asg.compute.network.describeVpcs({
    filters: [{ name: 'is-default', values: ['true'] }],
  });
  const vpcId = vpcs[0]?.vpcId ?? '';
  const { subnets } = await asg.compute.network.describeSubnets({
    filters: [{ name: 'vpc-id', values: [vpcId] }],
  });
  const { targetGroups } = await asg.loadBalancing.createTargetGroup({
    name: 'web',
    protocol: 'HTTP',
    port,
    vpcId,
    healthCheckIntervalSeconds: 5,
    healthCheckTimeoutSeconds: 2,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
  });
  const targetGroupArn = targetGroups[0]?.targetGroupArn ?? '';
  const { loadBalancers } = await asg.loadBalancing.createLoadBalancer({
    name: 'web',
    scheme: 'internal',
    subnets: subnets.map((s) => s.subnetId),
  });
  await asg.loadBalancing.createListener({
    loadBalancerArn: loadBalancers[0]?.loadBalancerArn ?? '',
    protocol: 'HTTP',
    port: await freePort(),
    defaultActions: [{ type: 'forward', targetGroupArn }],
  });

  await asg.client.createAutoScalingGroup({
    autoScalingGroupName: 'web',
    launchTemplate: { launchTemplateId: await asg.launchTemplate() },
    minSize: 2,
    maxSize: 2,
    availabilityZones: ['nimbus-1a', 'nimbus-1b'],
    targetGroupArns: [targetGroupArn],
    healthCheckType: 'ELB',
    healthCheckGracePeriod: 60,
  });
  // Registered, but nothing answers yet: the instances wait in Pending.
  await waitUntil(async () => (await targets(targetGroupArn)).size === 2, {
    message: 'two registered targets',
  });
  await waitUntil(async () => [...(await targets(targetGroupArn)).values()].every((s) => s === 'unhealthy'), {
    message: 'the targets to fail their checks',
  });
  expect((await members()).map((i) => i.lifecycleState)).toEqual(['Pending', 'Pending']);
  serving?.begin();
  const first = await waitUntil(
    async () => {
      const now = await members();
      const health = await targets(targetGroupArn);
      return now.length === 2 &&
        now.every((i) => i.lifecycleState === 'InService' && health.get(i.instanceId) === 'healthy')
        ? now
        : undefined;
    },
    { timeoutMs: 20_000, message: 'two healthy InService instances' },
  );

  await asg.client.updateAutoScalingGroup({ autoScalingGroupName: 'web', healthCheckGracePeriod: 1 });
  // One instance stops answering its health checks: after the grace period it is replaced.
  const victim = first[0]?.instanceId ?? '';
  await serving?.refuse(victim);
  const after = await waitUntil(
    async () => {
      const now = await members();
      const health = await targets(targetGroupArn);
      return now.length === 2 &&
        !now.some((i) => i.instanceId === victim) &&
        now.every((i) => i.lifecycleState === 'InService' && health.get(i.instanceId) === 'healthy')
        ? now
        : undefined;
    },
    { timeoutMs: 30_000, message: 'the failing instance replaced by a healthy one' },
  );
  expect(after.map((i) => i.availabilityZone).sort()).toEqual(['nimbus-1a', 'nimbus-1b']);
  // Deregistered on its way out (an idle target needs no draining, as in ELB).
  expect((await targets(targetGroupArn)).has(victim)).toBe(false);
  const { activities } = await asg.client.describeScalingActivities({ autoScalingGroupName: 'web' });
  const termination = activities.find((a) => a.description === `Terminating EC2 instance: ${victim}`);
  expect(termination?.cause).toMatch(/ELB system health check failure/);
  expect(termination?.statusCode).toBe('Successful');
});
