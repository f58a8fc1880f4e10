import { errorCode, refusal } from '@nimbus/service-kit';
import { waitUntil } from '@nimbus/testkit';
import { expect, it } from 'vitest';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

async function settled(name: string, count: number) {
  return waitUntil(
    async () => {
      const { autoScalingGroups } = await asg.client.describeAutoScalingGroups({
        autoScalingGroupNames: [name],
      });
      const g = autoScalingGroups[0];
      return g?.instances.length === count && g.instances.every((i) => i.lifecycleState === 'InService')
        ? g
        : undefined;
    },
    { timeoutMs: 20_000, message: `${count} InService instances in ${name}` },
  );
}

it('a group launches from a launch configuration, and after a switch to a template scales in the configuration’s instances first', async () => {
  const imageId = await asg.compute.image();
  await asg.client.createLaunchConfiguration({
    launchConfigurationName: 'small',
    imageId,
    instanceType: 't3.small',
  });
  expect(
    await errorCode(
      asg.client.createLaunchConfiguration({
        launchConfigurationName: 'small',
        imageId,
        instanceType: 't3.small',
      }),
    ),
  ).toBe('AlreadyExists');
  expect(
    await errorCode(asg.client.createLaunchConfiguration({ launchConfigurationName: 'bare', imageId })),
  ).toBe('MissingParameter');
  const { launchConfigurations } = await asg.client.describeLaunchConfigurations({});
  expect(launchConfigurations.map((c) => [c.launchConfigurationName, c.imageId, c.instanceType])).toEqual([
    ['small', imageId, 't3.small'],
  ]);
  expect(launchConfigurations[0]?.launchConfigurationArn).toMatch(
    /^arn:aws:autoscaling:nimbus-1:111111111111:launchConfiguration:[0-9a-f-]{36}:launchConfigurationName\/small$/,
  );

  const launchTemplateId = await asg.launchTemplate();
  expect(
    await refusal(
      asg.client.createAutoScalingGroup({
        autoScalingGroupName: 'classic',
        launchConfigurationName: 'small',
        launchTemplate: { launchTemplateId },
        minSize: 0,
        maxSize: 3,
        availabilityZones: ['nimbus-1a'],
      }),
    ),
  ).toMatchObject({ code: 'ValidationError' });
  await asg.client.createAutoScalingGroup({
    autoScalingGroupName: 'classic',
    launchConfigurationName: 'small',
    minSize: 0,
    maxSize: 3,
    desiredCapacity: 2,
    availabilityZones: ['nimbus-1a', 'nimbus-1b'],
  });
  const two = await settled('classic', 2);
  expect(two.launchConfigurationName).toBe('small');
  expect(two.instances.map((i) => [i.instanceType, i.launchConfigurationName])).toEqual([
    ['t3.small', 'small'],
    ['t3.small', 'small'],
  ]);
  expect((await asg.groupInstances('classic')).map((i) => i.instanceType)).toEqual(['t3.small', 't3.small']);
  expect(
    await refusal(asg.client.deleteLaunchConfiguration({ launchConfigurationName: 'small' })),
  ).toMatchObject({
    code: 'ResourceInUse',
    message: expect.stringContaining('classic'),
  });

  await asg.client.updateAutoScalingGroup({
    autoScalingGroupName: 'classic',
    launchTemplate: { launchTemplateId },
  });
  await asg.client.setDesiredCapacity({ autoScalingGroupName: 'classic', desiredCapacity: 3 });
  const three = await settled('classic', 3);
  const fromTemplate = three.instances.find((i) => i.launchTemplate?.launchTemplateId === launchTemplateId);
  expect(fromTemplate?.launchConfigurationName).toBe('');
  await asg.client.setDesiredCapacity({ autoScalingGroupName: 'classic', desiredCapacity: 1 });
  const one = await settled('classic', 1);
  expect(one.instances.map((i) => i.instanceId)).toEqual([fromTemplate?.instanceId]);

  // No group uses it any more.
  await asg.client.deleteLaunchConfiguration({ launchConfigurationName: 'small' });
  expect((await asg.client.describeLaunchConfigurations({})).launchConfigurations).toEqual([]);
  expect(await errorCode(asg.client.deleteLaunchConfiguration({ launchConfigurationName: 'small' }))).toBe(
    'ValidationError',
  );
});
