/** The checks a group's spec passes before it is written, refused as Auto Scaling refuses it. */
import { createRecords, isApiError } from '@nimbus/service-kit';
import { validationError } from '../domain/autoscaling-errors.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupSubnet, GroupTag, LaunchTemplateRef } from '../state/group-records.js';
import type { LaunchConfigurationRecord } from '../state/launch-configuration-records.js';
import { createTemplateStore } from '../state/template-store.js';
import type { ApiDeps } from './api-deps.js';

const maxTargetGroups = 10;

/** A group on a launch configuration names no template. */
export const noTemplate: LaunchTemplateRef = { launchTemplateId: '', launchTemplateName: '', version: '' };

export function createGroupChecks(deps: ApiDeps) {
  const templates = createTemplateStore(deps.store);
  const configurations = createRecords<LaunchConfigurationRecord>(deps.store);

  const checkTemplate = async (
    accountId: string,
    spec: LaunchTemplateRef | undefined,
  ): Promise<LaunchTemplateRef> => {
    if (!spec || (!spec.launchTemplateId && !spec.launchTemplateName)) {
      throw validationError(
        'Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.',
      );
    }
    try {
      const resolved = await templates.resolve(accountId, spec, spec.version);
      return {
        launchTemplateId: resolved.template.launchTemplateId,
        launchTemplateName: resolved.template.launchTemplateName,
        version: spec.version || '$Default',
      };
    } catch (error) {
      if (isApiError(error))
        throw validationError(`You must use a valid fully-formed launch template. ${error.message}`);
      throw error;
    }
  };

  const checkPlacement = async (
    accountId: string,
    zones: readonly string[],
    vpcZoneIdentifier: string,
  ): Promise<{ availabilityZones: string[]; subnets: GroupSubnet[] }> => {
    const subnetIds = vpcZoneIdentifier
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (zones.length === 0 && subnetIds.length === 0) {
      throw validationError('At least one Availability Zone or VPC Subnet is required.');
    }
    let subnets: GroupSubnet[] = [];
    if (subnetIds.length > 0) {
      if (!deps.network)
        throw validationError('VPCZoneIdentifier needs the network service, which this region does not run.');
      subnets = await deps.network.subnets(accountId, subnetIds);
    }
    const known = await deps.compute.zones(accountId);
    for (const zone of zones) {
      if (!known.includes(zone)) throw validationError(`The availability zone '${zone}' is not legal`);
    }
    const availabilityZones =
      subnets.length > 0 ? [...new Set(subnets.map((s) => s.zone))] : [...new Set(zones)];
    return { availabilityZones, subnets };
  };

  const checkTargetGroups = async (accountId: string, arns: readonly string[]) => {
    if (arns.length === 0) return;
    if (arns.length > maxTargetGroups)
      throw validationError(`At most ${maxTargetGroups} target groups may be given at once.`);
    if (!deps.loadBalancers)
      throw validationError('Target groups need the load-balancer service, which this region does not run.');
    await deps.loadBalancers.checkTargetGroups(accountId, arns);
  };

  const tagsOf = (
    tags: readonly { key: string; value: string; propagateAtLaunch: boolean }[],
  ): GroupTag[] => {
    for (const t of tags) {
      if (t.key === '' || t.key.length > 128 || t.value.length > 256)
        throw validationError(`Tag key must be 1-128 characters and value at most 256: '${t.key}'`);
      if (t.key.toLowerCase().startsWith('aws:'))
        throw validationError("Tag keys starting with 'aws:' are reserved for internal use");
    }
    return tags.map((t) => ({ key: t.key, value: t.value, propagateAtLaunch: t.propagateAtLaunch }));
  };

  /**
   * What a group launches from: a launch template or a launch configuration,
   * exactly one of them.
   */
  const checkLaunch = async (
    accountId: string,
    template: LaunchTemplateRef | undefined,
    configurationName: string,
  ): Promise<{ launchTemplate: LaunchTemplateRef; launchConfigurationName?: string }> => {
    const hasTemplate = Boolean(template && (template.launchTemplateId || template.launchTemplateName));
    if (hasTemplate && configurationName) {
      throw validationError(
        'Valid requests must contain either LaunchTemplate or LaunchConfigurationName, not both.',
      );
    }
    if (!configurationName) return { launchTemplate: await checkTemplate(accountId, template) };
    const found = await configurations.get(autoscalingKeys.launchConfiguration(accountId, configurationName));
    if (!found)
      throw validationError(
        `Launch configuration name not found - Launch configuration ${configurationName} not found`,
      );
    return { launchTemplate: noTemplate, launchConfigurationName: configurationName };
  };

  return { checkLaunch, checkPlacement, checkTargetGroups, tagsOf };
}
