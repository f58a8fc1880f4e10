/**
 * DescribeInstances: the caller's instances (terminated ones until their
 * retention ends), filtered, in pages of instances grouped by reservation.
 * Named ids must all exist (InvalidInstanceID.NotFound otherwise) and cannot
 * be paged (MaxResults with InstanceIds is refused), as in EC2.
 */
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  dryRunOperation,
  pageOf,
  resolveMaxResults,
} from '@nimbus/service-kit';
import { instanceNotFound } from '../domain/compute-errors.js';
import { computeKeys } from '../state/compute-keys.js';
import { checkInstanceIds, createInstanceStore } from '../state/instance-store.js';
import type { ApiDeps } from './api-deps.js';
import { instanceFilterFields, toReservations } from './instance-views.js';

type DescribeApi = Pick<ServiceImpl<typeof ComputeService>, 'describeInstances'>;

export function createDescribeInstancesApi(deps: ApiDeps): DescribeApi {
  const instances = createInstanceStore(deps.store);
  return {
    async describeInstances(request, { accountId }) {
      const ids = request.instanceIds;
      checkInstanceIds(ids);
      checkIdsWithoutMaxResults('InstanceIds', ids, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults, { min: 5, max: 1000 });
      const matches = compileFilters(request.filters, instanceFilterFields, { tags: (r) => r.tags });
      if (request.dryRun) throw dryRunOperation();
      const all =
        (await deps.cache?.list(accountId)) ?? (await instances.list(accountId)).map((r) => r.value);
      if (ids.length > 0) {
        const known = new Set(all.map((r) => r.instanceId));
        const missing = [...new Set(ids)].filter((id) => !known.has(id));
        if (missing.length > 0) throw instanceNotFound(missing);
      }
      const wanted = new Set(ids);
      const selected = all.filter((r) => (ids.length === 0 || wanted.has(r.instanceId)) && matches(r));
      const page = pageOf(selected, (r) => computeKeys.instance(accountId, r.instanceId), {
        nextToken: request.nextToken,
        pageSize: ids.length > 0 ? selected.length || 1 : pageSize,
        keyPrefix: computeKeys.instances(accountId),
      });
      return { reservations: toReservations(page.items, deps.config.region), nextToken: page.nextToken };
    },
  };
}
