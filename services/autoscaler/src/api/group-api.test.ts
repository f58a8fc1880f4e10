import { errorCode, refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { describe, expect, it } from 'vitest';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

async function groupNamed(name: string) {
  return (await asg.client.describeAutoScalingGroups({ autoScalingGroupNames: [name] })).autoScalingGroups[0];
}

async function inService(name: string, count: number) {
  return waitUntil(
    async () => {
      const g = await groupNamed(name);
      return g?.instances.length === count && g.instances.every((i) => i.lifecycleState === 'InService')
        ? g
        : undefined;
    },
    { timeoutMs: 20_000, message: `${count} InService instances in ${name}` },
  );
}

describe('auto scaling groups through the API', () => {
  it('refuse what Auto Scaling refuses, with its codes and messages', async () => {
    const launchTemplateId = await asg.launchTemplate();
    const base = {
      autoScalingGroupName: 'checked',
      launchTemplate: { launchTemplateId },
      availabilityZones: ['nimbus-1a'],
    };
    expect(
      await refusal(
        asg.client.createAutoScalingGroup({ ...base, minSize: 2, maxSize: 5, desiredCapacity: 7 }),
      ),
    ).toEqual({
      code: 'ValidationError',
      message: 'Desired capacity:7 must be between the specified min size:2 and max size:5',
    });
    expect(await refusal(asg.client.createAutoScalingGroup({ ...base, minSize: 3, maxSize: 1 }))).toEqual({
      code: 'ValidationError',
      message: 'Max bound, 1, must be greater than or equal to min bound, 3',
    });
    expect(
      await errorCode(
        asg.client.createAutoScalingGroup({ ...base, minSize: 0, maxSize: 1, availabilityZones: [] }),
      ),
    ).toBe('ValidationError');
    expect(
      await errorCode(
        asg.client.createAutoScalingGroup({
          ...base,
          minSize: 0,
          maxSize: 1,
          availabilityZones: ['mars-1a'],
        }),
      ),
    ).toBe('ValidationError');
    expect(
      await refusal(
        asg.client.createAutoScalingGroup({
          ...base,
          minSize: 0,
          maxSize: 1,
          launchTemplate: { launchTemplateId: 'lt-00000000000000000' },
        }),
      ),
    ).toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/^You must use a valid fully-formed launch template/),
    });
    await asg.client.createAutoScalingGroup({ ...base, minSize: 0, maxSize: 1 });
    expect(await errorCode(asg.client.createAutoScalingGroup({ ...base, minSize: 0, maxSize: 1 }))).toBe(
      'AlreadyExists',
    );
    expect(
      await refusal(asg.client.setDesiredCapacity({ autoScalingGroupName: 'checked', desiredCapacity: 4 })),
    ).toEqual({
      code: 'ValidationError',
      message: 'New SetDesiredCapacity value 4 is above max value 1 for the AutoScalingGroup.',
    });
    expect(
      await refusal(asg.client.setDesiredCapacity({ autoScalingGroupName: 'nothing', desiredCapacity: 0 })),
    ).toEqual({
      code: 'ValidationError',
      message: "AutoScalingGroup name not found - AutoScalingGroup 'nothing' not found",
    });
    expect(
      await errorCode(
        asg.client.suspendProcesses({ autoScalingGroupName: 'checked', scalingProcesses: ['Nap'] }),
      ),
    ).toBe('ValidationError');
    await asg.client.deleteAutoScalingGroup({ autoScalingGroupName: 'checked' });
    expect(await groupNamed('checked')).toBeUndefined();
  });

  it('suspended Launch stops launching until resumed; HonorCooldown refuses inside the cooldown', async () => {
    const launchTemplateId = await asg.launchTemplate();
    await asg.client.createAutoScalingGroup({
      autoScalingGroupName: 'paused',
      launchTemplate: { launchTemplateId },
      minSize: 0,
      maxSize: 3,
      availabilityZones: ['nimbus-1a', 'nimbus-1b'],
    });
    await asg.client.suspendProcesses({ autoScalingGroupName: 'paused', scalingProcesses: ['Launch'] });
    await asg.client.setDesiredCapacity({ autoScalingGroupName: 'paused', desiredCapacity: 1 });
    const suspended = await groupNamed('paused');
    expect(suspended?.suspendedProcesses.map((p) => p.processName)).toEqual(['Launch']);
    // A group changed after it launches and serves an instance: the controller has passed the paused one by then.
    await asg.client.createAutoScalingGroup({
      autoScalingGroupName: 'witness',
      launchTemplate: { launchTemplateId },
      minSize: 1,
      maxSize: 1,
      availabilityZones: ['nimbus-1a'],
    });
    await inService('witness', 1);
    expect((await groupNamed('paused'))?.instances).toEqual([]);
    expect(await asg.groupInstances('paused')).toEqual([]);
    await asg.client.resumeProcesses({ autoScalingGroupName: 'paused' });
    await inService('paused', 1);
    // The launch just ended: the default cooldown (300 s) is running.
    expect(
      await errorCode(
        asg.client.setDesiredCapacity({
          autoScalingGroupName: 'paused',
          desiredCapacity: 2,
          honorCooldown: true,
        }),
      ),
    ).toBe('ScalingActivityInProgress');
    await asg.client.setDesiredCapacity({ autoScalingGroupName: 'paused', desiredCapacity: 2 });
    await inService('paused', 2);
  });

  it('DeleteAutoScalingGroup refuses a group with instances, and ForceDelete terminates them first', async () => {
    const launchTemplateId = await asg.launchTemplate();
    await asg.client.createAutoScalingGroup({
      autoScalingGroupName: 'doomed',
      launchTemplate: { launchTemplateId },
      minSize: 2,
      maxSize: 2,
      availabilityZones: ['nimbus-1a', 'nimbus-1b'],
    });
    const g = await inService('doomed', 2);
    await asg.client.setInstanceProtection({
      autoScalingGroupName: 'doomed',
      instanceIds: [g.instances[0]?.instanceId ?? ''],
      protectedFromScaleIn: true,
    });
    expect(await errorCode(asg.client.deleteAutoScalingGroup({ autoScalingGroupName: 'doomed' }))).toBe(
      'ResourceInUse',
    );
    await asg.client.deleteAutoScalingGroup({ autoScalingGroupName: 'doomed', forceDelete: true });
    expect((await groupNamed('doomed'))?.status).toBe('Delete in progress');
    await waitUntil(async () => (await groupNamed('doomed')) === undefined, {
      timeoutMs: 20_000,
      message: 'the group gone',
    });
    // Protected instances go too when the group is deleted.
    expect(await asg.groupInstances('doomed')).toEqual([]);
    const { autoScalingInstances } = await asg.client.describeAutoScalingInstances({});
    expect(autoScalingInstances.filter((i) => i.autoScalingGroupName === 'doomed')).toEqual([]);
  });

  it('launches into the subnets of VPCZoneIdentifier, one zone after the other, and refuses an unknown subnet', async () => {
    const launchTemplateId = await asg.launchTemplate();
    const { subnets } = await asg.compute.network.describeSubnets({
      filters: [{ name: 'default-for-az', values: ['true'] }],
    });
    const vpcZoneIdentifier = subnets.map((s) => s.subnetId).join(',');
    expect(
      await refusal(
        asg.client.createAutoScalingGroup({
          autoScalingGroupName: 'subnetted',
          launchTemplate: { launchTemplateId },
          minSize: 0,
          maxSize: 2,
          vpcZoneIdentifier: `${vpcZoneIdentifier},subnet-00000000000000000`,
        }),
      ),
    ).toMatchObject({ code: 'ValidationError' });
    await asg.client.createAutoScalingGroup({
      autoScalingGroupName: 'subnetted',
      launchTemplate: { launchTemplateId },
      minSize: 2,
      maxSize: 2,
      vpcZoneIdentifier,
    });
    const g = await inService('subnetted', 2);
    expect(g.vpcZoneIdentifier).toBe(vpcZoneIdentifier);
    expect([...g.availabilityZones].sort()).toEqual(['nimbus-1a', 'nimbus-1b']);
    const instances = await asg.groupInstances('subnetted');
    expect(instances.map((i) => i.subnetId).sort()).toEqual(subnets.map((s) => s.subnetId).sort());
  });
});
