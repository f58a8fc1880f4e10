import { errorCode } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { expect, it } from 'vitest';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

async function groupNamed(name: string) {
  const { autoScalingGroups } = await asg.client.describeAutoScalingGroups({ autoScalingGroupNames: [name] });
  const g = autoScalingGroups[0];
  if (!g) throw new Error(`no group ${name}`);
  return g;
}

async function runningInstance(zone: string): Promise<string> {
  const { instances } = await asg.compute.client.runInstances({
    imageId: await asg.compute.image(),
    minCount: 1,
    maxCount: 1,
    placement: { availabilityZone: zone },
  });
  const instanceId = instances[0]?.instanceId ?? '';
  await waitUntil(
    async () =>
      (await asg.compute.client.describeInstances({ instanceIds: [instanceId] })).reservations[0]
        ?.instances[0]?.state?.name === 'running',
    { message: `${instanceId} running` },
  );
  return instanceId;
}

it('attaches running instances (desired grows) and detaches them running, with or without a replacement', async () => {
  await asg.client.createAutoScalingGroup({
    autoScalingGroupName: 'adopting',
    launchTemplate: { launchTemplateId: await asg.launchTemplate() },
    minSize: 0,
    maxSize: 2,
    availabilityZones: ['nimbus-1a', 'nimbus-1b'],
  });
  const [a, b, c] = [
    await runningInstance('nimbus-1a'),
    await runningInstance('nimbus-1b'),
    await runningInstance('nimbus-1a'),
  ];
  await asg.client.attachInstances({ autoScalingGroupName: 'adopting', instanceIds: [a, b] });
  const attached = await groupNamed('adopting');
  expect(attached.desiredCapacity).toBe(2);
  expect(attached.instances.map((i) => [i.instanceId, i.lifecycleState]).sort()).toEqual(
    [
      [a, 'InService'],
      [b, 'InService'],
    ].sort(),
  );
  // Past max size, or already in a group: refused.
  expect(
    await errorCode(asg.client.attachInstances({ autoScalingGroupName: 'adopting', instanceIds: [c] })),
  ).toBe('ValidationError');
  expect(
    await errorCode(asg.client.attachInstances({ autoScalingGroupName: 'adopting', instanceIds: [a] })),
  ).toBe('ValidationError');

  const { activities } = await asg.client.detachInstances({
    autoScalingGroupName: 'adopting',
    instanceIds: [a],
    shouldDecrementDesiredCapacity: true,
  });
  expect(activities[0]?.description).toBe(`Detaching EC2 instance: ${a}`);
  expect((await groupNamed('adopting')).desiredCapacity).toBe(1);
  // Without decrementing, a replacement is launched for the detached instance.
  await asg.client.detachInstances({ autoScalingGroupName: 'adopting', instanceIds: [b] });
  const replaced = await waitUntil(
    async () => {
      const g = await groupNamed('adopting');
      return g.instances.length === 1 &&
        g.instances[0]?.instanceId !== b &&
        g.instances[0]?.lifecycleState === 'InService'
        ? g
        : undefined;
    },
    { timeoutMs: 20_000, message: 'a replacement for the detached instance' },
  );
  expect(replaced.desiredCapacity).toBe(1);
  // Detached instances keep running.
  const { reservations } = await asg.compute.client.describeInstances({ instanceIds: [a, b] });
  expect(reservations.flatMap((r) => r.instances).map((i) => i.state?.name)).toEqual(['running', 'running']);
});
