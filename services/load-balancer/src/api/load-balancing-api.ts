/**
 * The LoadBalancingService implementation, assembled from one module per
 * resource kind. An action no module serves answers UnsupportedOperation.
 */
import { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { assembleService } from '@nimbus/service-kit';
import type { ApiDeps } from './api-deps.js';
import { createListenerApi } from './listener-api.js';
import { createLoadBalancerApi } from './load-balancer-api.js';
import type { Lookups } from './lookups.js';
import { createMetricsApi } from './metrics-api.js';
import { createRuleApi } from './rule-api.js';
import { createTagApi } from './tag-api.js';
import { createTargetApi } from './target-api.js';
import { createTargetGroupApi } from './target-group-api.js';

export function createLoadBalancingApi(
  deps: ApiDeps,
  lookups: Lookups,
): ServiceImpl<typeof LoadBalancingService> {
  return assembleService(
    LoadBalancingService,
    createLoadBalancerApi(deps, lookups),
    createListenerApi(deps, lookups),
    createRuleApi(deps, lookups),
    createTargetGroupApi(deps, lookups),
    createTargetApi(deps, lookups),
    createTagApi(lookups),
    createMetricsApi(deps, lookups),
  );
}
