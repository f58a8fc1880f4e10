import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

async function group(name: string) {
  const { autoScalingGroups } = await asg.client.describeAutoScalingGroups({ autoScalingGroupNames: [name] });
  const found = autoScalingGroups[0];
  if (!found) throw new Error(`no group ${name}`);
  return found;
}

/** Waits until the group has exactly `count` instances, all InService, and compute runs exactly those. */
async function settled(name: string, count: number) {
  return waitUntil(
    async () => {
      const g = await group(name);
      const inService = g.instances.filter((i) => i.lifecycleState === 'InService');
      if (g.instances.length !== count || inService.length !== count) return undefined;
      const running = await asg.groupInstances(name);
      const ids = inService.map((i) => i.instanceId).sort();
      return running.length === count &&
        running.every((i) => i.state?.name === 'running') &&
        JSON.stringify(running.map((i) => i.instanceId).sort()) === JSON.stringify(ids)
        ? g
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, message: `${name} to hold ${count} InService instances` },
  );
}

async function create(name: string, desired: number, extra: { terminationPolicies?: string[] } = {}) {
  const launchTemplateId = await asg.launchTemplate();
  await asg.client.createAutoScalingGroup({
    autoScalingGroupName: name,
    launchTemplate: { launchTemplateId, version: '$Latest' },
    minSize: 0,
    maxSize: 5,
    desiredCapacity: desired,
    availabilityZones: ['nimbus-1a', 'nimbus-1b'],
    ...extra,
  });
}

describe('group controller', () => {
  it('launches a group of 2 as one instance in each zone, each a successful activity', async () => {
    await create('pair', 2);
    const g = await settled('pair', 2);
    expect(g.instances.map((i) => i.availabilityZone).sort()).toEqual(['nimbus-1a', 'nimbus-1b']);
    expect(g.instances.every((i) => i.healthStatus === 'Healthy')).toBe(true);
    const { activities } = await asg.client.describeScalingActivities({ autoScalingGroupName: 'pair' });
    expect(activities).toHaveLength(2);
    for (const a of activities) {
      expect(a.statusCode).toBe('Successful');
      expect(a.progress).toBe(100);
      expect(a.description).toMatch(/^Launching a new EC2 instance: i-[0-9a-f]{17}$/);
      expect(a.cause).toMatch(
        /difference between desired and actual capacity, increasing the capacity from 0 to 2/,
      );
    }
  });

  it('replaces an instance whose boot process dies, and one terminated through compute', async () => {
    await create('healing', 2);
    const before = await settled('healing', 2);
    const [first, second] = before.instances.map((i) => i.instanceId) as [string, string];
    const [described] = (
      await asg.compute.client.describeInstances({ instanceIds: [first] })
    ).reservations.flatMap((r) => r.instances);
    asg.workers.get(described?.workerName ?? '')?.exit(first, 1);
    await asg.compute.client.terminateInstances({ instanceIds: [second] });
    const after = await waitUntil(
      async () => {
        const g = await settled('healing', 2);
        const ids = g.instances.map((i) => i.instanceId);
        return ids.includes(first) || ids.includes(second) ? undefined : g;
      },
      { timeoutMs: 30_000, message: 'both instances replaced' },
    );
    expect(after.instances.map((i) => i.availabilityZone).sort()).toEqual(['nimbus-1a', 'nimbus-1b']);
    const { activities } = await asg.client.describeScalingActivities({ autoScalingGroupName: 'healing' });
    const terminations = activities.filter((a) => a.description.startsWith('Terminating'));
    expect(terminations.map((a) => a.description).sort()).toEqual(
      [`Terminating EC2 instance: ${first}`, `Terminating EC2 instance: ${second}`].sort(),
    );
    const causeOf = (id: string) => terminations.find((a) => a.description.endsWith(id))?.cause;
    // A dead boot process fails the instance status check (or stops the instance, whichever compute saw first).
    expect(causeOf(first)).toMatch(
      /EC2 (instance status checks failure|health check indicating it has been terminated or stopped)/,
    );
    expect(causeOf(second)).toMatch(/EC2 health check indicating it has been terminated or stopped/);
    expect(terminations.every((t) => t.statusCode === 'Successful')).toBe(true);
  });

  it('terminates by the default policy when desired goes from 3 to 1: zones first, then the oldest', async () => {
    await create('shrink', 2);
    const two = await settled('shrink', 2);
    await asg.client.setDesiredCapacity({ autoScalingGroupName: 'shrink', desiredCapacity: 3 });
    const three = await settled('shrink', 3);
    const newest = three.instances.find((i) => !two.instances.some((o) => o.instanceId === i.instanceId));
    await asg.client.setDesiredCapacity({ autoScalingGroupName: 'shrink', desiredCapacity: 1 });
    const one = await settled('shrink', 1);
    // 1a held two: its older one went first; then 1a and 1b held one each, and the older (closest to its instance hour) went.
    expect(one.instances.map((i) => i.instanceId)).toEqual([newest?.instanceId]);
    const { activities } = await asg.client.describeScalingActivities({ autoScalingGroupName: 'shrink' });
    const terminations = activities.filter((a) => a.description.startsWith('Terminating'));
    expect(terminations).toHaveLength(2);
    expect(terminations.every((a) => a.statusCode === 'Successful')).toBe(true);
    const shrinks = terminations.map((a) =>
      /shrinking the capacity from (\d) to (\d)\.$/.exec(a.cause)?.slice(1).join('->'),
    );
    expect(shrinks.sort()).toEqual(['2->1', '3->2']);
  });

  it('TerminateInstanceInAutoScalingGroup replaces the instance, or lowers desired when asked', async () => {
    await create('manual', 2);
    const g = await settled('manual', 2);
    const [first, second] = g.instances.map((i) => i.instanceId) as [string, string];
    const { activity } = await asg.client.terminateInstanceInAutoScalingGroup({ instanceId: first });
    expect(activity?.description).toBe(`Terminating EC2 instance: ${first}`);
    expect(activity?.cause).toMatch(/in response to a user request\.$/);
    await waitUntil(async () => !(await settled('manual', 2)).instances.some((i) => i.instanceId === first), {
      timeoutMs: 20_000,
    });
    const decremented = await asg.client.terminateInstanceInAutoScalingGroup({
      instanceId: second,
      shouldDecrementDesiredCapacity: true,
    });
    expect(decremented.activity?.cause).toMatch(/shrinking the capacity from 2 to 1\.$/);
    const one = await settled('manual', 1);
    expect(one.desiredCapacity).toBe(1);
    expect(one.instances.some((i) => i.instanceId === second)).toBe(false);
  });
});
