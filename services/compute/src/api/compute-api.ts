/**
 * The ComputeService implementation, assembled from one module per part of
 * the EC2 model; an action no module serves answers UnsupportedOperation.
 */
import { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import type { ApiDeps } from './api-deps.js';
import { createCatalogApi } from './catalog-api.js';
import { createConsoleOutputApi } from './console-output-api.js';
import { createDescribeInstancesApi } from './describe-instances-api.js';
import { createInstanceAttributeApi } from './instance-attribute-api.js';
import { createInstanceLifecycleApi } from './instance-lifecycle-api.js';
import { createInstanceStatusApi } from './instance-status-api.js';
import { createRunInstancesApi } from './run-instances-api.js';
import { createTagApi } from './tag-api.js';

export function createComputeApi(deps: ApiDeps, endpoint: () => string): ServiceImpl<typeof ComputeService> {
  return assembleService(
    ComputeService,
    createCatalogApi(deps.config, endpoint),
    createRunInstancesApi(deps),
    createDescribeInstancesApi(deps),
    createInstanceLifecycleApi(deps),
    createInstanceStatusApi(deps),
    createInstanceAttributeApi(deps),
    createConsoleOutputApi(deps),
    createTagApi(deps),
  );
}
