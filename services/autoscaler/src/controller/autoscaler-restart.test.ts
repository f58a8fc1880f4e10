import { waitUntil } from '@nimbus/testkit';
import { expect, it } from 'vitest';
import { groupNameTag } from '../domain/launch-request.js';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

/** Every instance ever launched for the group, terminated ones included. */
async function everLaunched(name: string): Promise<string[]> {
  const { reservations } = await asg.compute.client.describeInstances({
    filters: [{ name: `tag:${groupNameTag}`, values: [name] }],
  });
  return reservations.flatMap((r) => r.instances.map((i) => i.instanceId)).sort();
}

it('an autoscaler that dies between RunInstances and recording the instance leaves exactly desired after its restart', async () => {
  const launchTemplateId = await asg.launchTemplate();
  let launched = 0;
  let attempts = 0;
  let crash: (error: Error) => void = () => {};
  const dead = new Promise<never>((_, reject) => {
    crash = reject;
  });
  dead.catch(() => {});
  // This controller's first launch reaches compute but it never hears the answer; its other
  // launches never reach compute.
  await asg.stopAutoscaler();
  await asg.startAutoscaler({
    wrapCompute: (compute) => ({
      ...compute,
      async launch(accountId, request) {
        if (attempts++ > 0) throw new Error('compute unreachable');
        await compute.launch(accountId, request);
        launched++;
        return dead;
      },
    }),
  });
  await asg.client.createAutoScalingGroup({
    autoScalingGroupName: 'crashy',
    launchTemplate: { launchTemplateId },
    minSize: 2,
    maxSize: 2,
    availabilityZones: ['nimbus-1a', 'nimbus-1b'],
  });
  await waitUntil(() => launched === 1 && attempts >= 2, {
    message: 'both launches tried, one reaching compute',
  });
  const before = await asg.client.describeAutoScalingGroups({ autoScalingGroupNames: ['crashy'] });
  // Two slots were written before anything was launched; neither knows its instance yet.
  expect(before.autoScalingGroups[0]?.instances).toEqual([]);
  expect(await everLaunched('crashy')).toHaveLength(1);
  crash(new Error('the autoscaler process died'));
  await asg.stopAutoscaler();

  await asg.startAutoscaler();
  const first = (await everLaunched('crashy'))[0];
  const group = await waitUntil(
    async () => {
      const { autoScalingGroups } = await asg.client.describeAutoScalingGroups({
        autoScalingGroupNames: ['crashy'],
      });
      const g = autoScalingGroups[0];
      return g?.instances.length === 2 && g.instances.every((i) => i.lifecycleState === 'InService')
        ? g
        : undefined;
    },
    { timeoutMs: 20_000, message: 'two InService instances' },
  );
  // The instance launched before the crash was found by its client token, not launched again.
  expect(group.instances.map((i) => i.instanceId)).toContain(first);
  expect(await everLaunched('crashy')).toEqual(group.instances.map((i) => i.instanceId).sort());
  expect(group.instances.map((i) => i.availabilityZone).sort()).toEqual(['nimbus-1a', 'nimbus-1b']);
  const { activities } = await asg.client.describeScalingActivities({ autoScalingGroupName: 'crashy' });
  expect(activities.map((a) => a.statusCode)).toEqual(['Successful', 'Successful']);
});
