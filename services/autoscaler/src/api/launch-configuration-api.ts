/**
 * Auto Scaling's launch configurations: immutable, named per account, kept
 * as the launch template data they amount to, so a group launches from either
 * the same way.
 */
import { randomUUID } from 'node:crypto';
import { create, toJson } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import { LaunchTemplateDataSchema } from '@nimbus/api/gen/nimbus/autoscaling/v1/launch_template_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { ApiError, createRecords, pageOf, resolveMaxResults } from '@nimbus/service-kit';
import { missingParameter, resourceInUse, validationError } from '../domain/autoscaling-errors.js';
import { autoscalingKeys } from '../state/autoscaling-keys.js';
import type { GroupRecord } from '../state/group-records.js';
import type { LaunchConfigurationRecord } from '../state/launch-configuration-records.js';
import { decodeData } from '../state/template-store.js';
import type { ApiDeps } from './api-deps.js';

type LaunchConfigurationApi = Pick<
  ServiceImpl<typeof AutoScalingService>,
  'createLaunchConfiguration' | 'describeLaunchConfigurations' | 'deleteLaunchConfiguration'
>;

function checkName(name: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is refused.
  if (name.length < 1 || name.length > 255 || /[\u0000-\u001f]/.test(name)) {
    throw validationError(
      `Value '${name}' at 'launchConfigurationName' failed to satisfy constraint: Member must have length between 1 and 255`,
    );
  }
}

export function createLaunchConfigurationApi(deps: ApiDeps): LaunchConfigurationApi {
  const { store, now, settings } = deps;
  const configurations = createRecords<LaunchConfigurationRecord>(store);
  const groups = createRecords<GroupRecord>(store);

  return {
    async createLaunchConfiguration(request, { accountId }) {
      const name = request.launchConfigurationName;
      checkName(name);
      if (!request.imageId) throw missingParameter('ImageId');
      if (!request.instanceType) throw missingParameter('InstanceType');
      const publicIp = request.associatePublicIpAddress;
      // An interface of its own is how RunInstances takes AssociatePublicIpAddress; the groups go with it.
      const data = create(LaunchTemplateDataSchema, {
        imageId: request.imageId,
        instanceType: request.instanceType,
        keyName: request.keyName,
        userData: request.userData,
        blockDeviceMappings: request.blockDeviceMappings,
        ...(request.metadataOptions ? { metadataOptions: request.metadataOptions } : {}),
        ...(publicIp === undefined
          ? { securityGroupIds: request.securityGroups }
          : {
              networkInterfaces: [
                { deviceIndex: 0, associatePublicIpAddress: publicIp, groups: request.securityGroups },
              ],
            }),
      });
      const id = randomUUID();
      const record: LaunchConfigurationRecord = {
        name,
        arn: `arn:aws:autoscaling:${settings.region}:${accountId}:launchConfiguration:${id}:launchConfigurationName/${name}`,
        accountId,
        createdTime: now(),
        data: toJson(LaunchTemplateDataSchema, data),
      };
      if (!(await configurations.create(autoscalingKeys.launchConfiguration(accountId, name), record))) {
        throw new ApiError(
          'AlreadyExists',
          `Launch Configuration by this name already exists - A launch configuration already exists with the name ${name}`,
        );
      }
      return {};
    },

    async describeLaunchConfigurations(request, { accountId }) {
      const pageSize = resolveMaxResults(request.maxRecords, { min: 1, max: 100, fallback: 50 });
      const wanted = new Set(request.launchConfigurationNames);
      const prefix = autoscalingKeys.launchConfigurations(accountId);
      const all = (await configurations.list(prefix)).filter(
        (c) => wanted.size === 0 || wanted.has(c.value.name),
      );
      const page = pageOf(all, (c) => c.key, { nextToken: request.nextToken, pageSize, keyPrefix: prefix });
      return {
        launchConfigurations: page.items.map(({ value: c }) => {
          const data = decodeData(c.data);
          const ni = data.networkInterfaces[0];
          return {
            launchConfigurationName: c.name,
            launchConfigurationArn: c.arn,
            imageId: data.imageId,
            keyName: data.keyName,
            securityGroups: ni ? ni.groups : data.securityGroupIds,
            userData: data.userData,
            instanceType: data.instanceType,
            blockDeviceMappings: data.blockDeviceMappings,
            createdTime: timestampFromMs(c.createdTime),
            ...(ni?.associatePublicIpAddress === undefined
              ? {}
              : { associatePublicIpAddress: ni.associatePublicIpAddress }),
            ...(data.metadataOptions ? { metadataOptions: data.metadataOptions } : {}),
          };
        }),
        nextToken: page.nextToken,
      };
    },

    async deleteLaunchConfiguration(request, { accountId }) {
      const name = request.launchConfigurationName;
      const found = await configurations.get(autoscalingKeys.launchConfiguration(accountId, name));
      if (!found)
        throw validationError(`Launch configuration name not found - Launch configuration ${name} not found`);
      const user = (await groups.list(autoscalingKeys.groups(accountId))).find(
        (g) => g.value.launchConfigurationName === name,
      );
      if (user) {
        throw resourceInUse(
          `Cannot delete launch configuration ${name} because it is attached to AutoScalingGroup ${user.value.name}`,
        );
      }
      await configurations.delete(found);
      return {};
    },
  };
}
