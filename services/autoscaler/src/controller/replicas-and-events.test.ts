import { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import { type Client, createClient } from '@nimbus/runtime';
import { waitUntil } from '@nimbus/testkit';
import { expect, it } from 'vitest';
import { groupNameTag } from '../domain/launch-request.js';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

async function inService(
  client: Client<typeof AutoScalingService>,
  name: string,
  count: number,
  timeoutMs: number,
) {
  return waitUntil(
    async () => {
      const { autoScalingGroups } = await client.describeAutoScalingGroups({ autoScalingGroupNames: [name] });
      const g = autoScalingGroups[0];
      return g?.instances.length === count && g.instances.every((i) => i.lifecycleState === 'InService')
        ? g
        : undefined;
    },
    { timeoutMs, message: `${count} InService instances in ${name}` },
  );
}

async function everLaunched(name: string): Promise<number> {
  const { reservations } = await asg.compute.client.describeInstances({
    filters: [{ name: `tag:${groupNameTag}`, values: [name] }],
  });
  return reservations.flatMap((r) => r.instances).length;
}

it("follows compute's instance events: with health checks a minute apart, a terminated instance is replaced in seconds", async () => {
  await asg.stopAutoscaler();
  await asg.startAutoscaler({}, { NIMBUS_AUTOSCALER_HEALTH_POLL: '60s' });
  await asg.client.createAutoScalingGroup({
    autoScalingGroupName: 'evented',
    launchTemplate: { launchTemplateId: await asg.launchTemplate() },
    minSize: 1,
    maxSize: 1,
    availabilityZones: ['nimbus-1a'],
  });
  const before = await inService(asg.client, 'evented', 1, 20_000);
  const gone = before.instances[0]?.instanceId ?? '';
  await asg.compute.client.terminateInstances({ instanceIds: [gone] });
  // Nothing but the state-changed event brings the group up before its next health check in 60 s
  // (or the controller's 30 s resync).
  const after = await waitUntil(
    async () => {
      const g = await inService(asg.client, 'evented', 1, 10_000);
      return g.instances[0]?.instanceId !== gone ? g : undefined;
    },
    { timeoutMs: 10_000, message: 'the replacement' },
  );
  expect(after.instances[0]?.instanceId).not.toBe(gone);
});

it('two replicas launch a group once, and the survivor takes over when the leader stops', async () => {
  const replica = await asg.replica();
  const other = createClient(AutoScalingService, replica.address, { token: 'token-a' });
  try {
    await other.createAutoScalingGroup({
      autoScalingGroupName: 'shared',
      launchTemplate: { launchTemplateId: await asg.launchTemplate() },
      minSize: 2,
      maxSize: 2,
      availabilityZones: ['nimbus-1a', 'nimbus-1b'],
    });
    const g = await inService(asg.client, 'shared', 2, 20_000);
    expect(await everLaunched('shared')).toBe(2);
    await asg.stopAutoscaler();
    const gone = g.instances[0]?.instanceId ?? '';
    await asg.compute.client.terminateInstances({ instanceIds: [gone] });
    await waitUntil(
      async () => {
        const now = await inService(other, 'shared', 2, 20_000);
        return !now.instances.some((i) => i.instanceId === gone);
      },
      { timeoutMs: 20_000, message: 'the replica to replace the instance' },
    );
    expect(await everLaunched('shared')).toBe(3);
  } finally {
    other.close();
  }
});
