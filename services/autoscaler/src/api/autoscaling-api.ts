/**
 * The AutoScalingService implementation, assembled from its launch template
 * and group modules; refusals become the runtime's errors with their codes.
 */
import { AutoScalingService } from '@nimbus/api/gen/nimbus/autoscaling/v1/auto_scaling_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import type { ApiDeps } from './api-deps.js';
import { createGroupApi } from './group-api.js';
import { createGroupCapacityApi } from './group-capacity-api.js';
import { createGroupDescribeApi } from './group-describe-api.js';
import { createInstanceMembershipApi } from './instance-membership-api.js';
import { createLaunchConfigurationApi } from './launch-configuration-api.js';
import { createLaunchTemplateApi } from './launch-template-api.js';

export function createAutoScalingApi(deps: ApiDeps): ServiceImpl<typeof AutoScalingService> {
  return assembleService(
    AutoScalingService,
    createLaunchTemplateApi(deps),
    createLaunchConfigurationApi(deps),
    createGroupApi(deps),
    createGroupCapacityApi(deps),
    createGroupDescribeApi(deps),
    createInstanceMembershipApi(deps),
  );
}
