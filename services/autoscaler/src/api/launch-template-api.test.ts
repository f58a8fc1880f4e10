import { errorCode, refusal } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { useAutoscalerUnderTest } from '../testing/autoscaler-under-test.js';

const asg = useAutoscalerUnderTest();

describe('launch templates', () => {
  it('keep numbered versions, with $Latest and $Default, and a default that can move', async () => {
    const imageId = await asg.compute.image();
    const { launchTemplate } = await asg.client.createLaunchTemplate({
      launchTemplateName: 'web',
      versionDescription: 'first',
      launchTemplateData: { imageId, instanceType: 't3.micro', keyName: '' },
    });
    const launchTemplateId = launchTemplate?.launchTemplateId ?? '';
    expect(launchTemplateId).toMatch(/^lt-[0-9a-f]{17}$/);
    expect(launchTemplate?.defaultVersionNumber).toBe(1n);
    const { launchTemplateVersion } = await asg.client.createLaunchTemplateVersion({
      launchTemplateName: 'web',
      sourceVersion: '$Latest',
      versionDescription: 'bigger',
      launchTemplateData: { instanceType: 't3.small' },
    });
    // A source version's data stays where the new version says nothing.
    expect(launchTemplateVersion?.versionNumber).toBe(2n);
    expect(launchTemplateVersion?.launchTemplateData?.imageId).toBe(imageId);
    expect(launchTemplateVersion?.launchTemplateData?.instanceType).toBe('t3.small');

    const pick = async (versions: string[]) =>
      (
        await asg.client.describeLaunchTemplateVersions({ launchTemplateId, versions })
      ).launchTemplateVersions.map((v) => v.versionNumber);
    expect(await pick(['$Latest'])).toEqual([2n]);
    expect(await pick(['$Default'])).toEqual([1n]);
    await asg.client.modifyLaunchTemplate({ launchTemplateId, defaultVersion: '2' });
    expect(await pick(['$Default'])).toEqual([2n]);

    const deleted = await asg.client.deleteLaunchTemplateVersions({
      launchTemplateId,
      versions: ['1', '2', '7'],
    });
    expect(deleted.successfullyDeletedLaunchTemplateVersions.map((v) => v.versionNumber)).toEqual([1n]);
    expect(deleted.unsuccessfullyDeletedLaunchTemplateVersions.map((v) => [v.versionNumber, v.code])).toEqual(
      [
        [2n, 'launchTemplateVersionIsDefault'],
        [7n, 'launchTemplateVersionDoesNotExist'],
      ],
    );
    // Numbers are never reused.
    const third = await asg.client.createLaunchTemplateVersion({
      launchTemplateId,
      launchTemplateData: { imageId },
    });
    expect(third.launchTemplateVersion?.versionNumber).toBe(3n);
    expect(
      await errorCode(asg.client.describeLaunchTemplateVersions({ launchTemplateId, versions: ['1'] })),
    ).toBe('InvalidLaunchTemplateId.VersionNotFound');
  });

  it('refuse a taken or malformed name, unknown ids and names, and deletion while a group uses them', async () => {
    const imageId = await asg.compute.image();
    const data = { imageId };
    await asg.client.createLaunchTemplate({ launchTemplateName: 'taken', launchTemplateData: data });
    expect(
      await errorCode(
        asg.client.createLaunchTemplate({ launchTemplateName: 'taken', launchTemplateData: data }),
      ),
    ).toBe('InvalidLaunchTemplateName.AlreadyExistsException');
    expect(
      await errorCode(
        asg.client.createLaunchTemplate({ launchTemplateName: 'no', launchTemplateData: data }),
      ),
    ).toBe('InvalidLaunchTemplateName.MalformedException');
    expect(await errorCode(asg.client.describeLaunchTemplates({ launchTemplateNames: ['nothing'] }))).toBe(
      'InvalidLaunchTemplateName.NotFoundException',
    );
    expect(
      await errorCode(asg.client.describeLaunchTemplates({ launchTemplateIds: ['lt-00000000000000000'] })),
    ).toBe('InvalidLaunchTemplateId.NotFound');
    expect(await errorCode(asg.client.describeLaunchTemplates({ launchTemplateIds: ['lt-1'] }))).toBe(
      'InvalidLaunchTemplateId.Malformed',
    );
    await asg.client.createAutoScalingGroup({
      autoScalingGroupName: 'user',
      launchTemplate: { launchTemplateName: 'taken' },
      minSize: 0,
      maxSize: 1,
      availabilityZones: ['nimbus-1a'],
    });
    expect(await refusal(asg.client.deleteLaunchTemplate({ launchTemplateName: 'taken' }))).toMatchObject({
      code: 'ResourceInUse',
      message: expect.stringContaining('user'),
    });
    await asg.client.deleteAutoScalingGroup({ autoScalingGroupName: 'user' });
    await asg.client.deleteLaunchTemplate({ launchTemplateName: 'taken' });
    expect(await errorCode(asg.client.describeLaunchTemplates({ launchTemplateNames: ['taken'] }))).toBe(
      'InvalidLaunchTemplateName.NotFoundException',
    );
    // The name is free again.
    await asg.client.createLaunchTemplate({ launchTemplateName: 'taken', launchTemplateData: data });
  });
});
