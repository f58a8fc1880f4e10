/**
 * CreateTags, DeleteTags, DescribeTags for instances (the compute service's
 * taggable resource). Every resource is checked before any is changed; a
 * resource may carry at most 50 tags.
 */
import type { ComputeService } from '@nimbus/api/gen/nimbus/compute/v1/compute_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  ApiError,
  compileFilters,
  dryRunOperation,
  isId,
  pageOf,
  resolveMaxResults,
  type StoredTag,
  tagsFor,
} from '@nimbus/service-kit';
import { missingParameter } from '../domain/compute-errors.js';
import { createInstanceStore } from '../state/instance-store.js';
import type { ApiDeps } from './api-deps.js';

type TagApi = Pick<ServiceImpl<typeof ComputeService>, 'createTags' | 'deleteTags' | 'describeTags'>;

const maxTagsPerResource = 50;

function checkResources(resources: readonly string[]): void {
  if (resources.length === 0) throw missingParameter('ResourceId');
  for (const id of resources) {
    if (!isId('i', id))
      throw new ApiError('InvalidID', `The ID '${id}' is not valid (the compute service tags instances).`);
  }
}

export function createTagApi(deps: ApiDeps): TagApi {
  const instances = createInstanceStore(deps.store);
  return {
    async createTags(request, { accountId }) {
      checkResources(request.resources);
      if (request.tags.length === 0) throw missingParameter('Tag');
      const tags = tagsFor('instance', [
        { resourceType: 'instance', tags: request.tags, $typeName: 'nimbus.common.v1.TagSpecification' },
      ]);
      const records = await instances.require(accountId, request.resources);
      const merge = (held: readonly StoredTag[]) => {
        const byKey = new Map(held.map((t) => [t.key, t.value]));
        for (const t of tags) byKey.set(t.key, t.value);
        return [...byKey].map(([key, value]) => ({ key, value }));
      };
      for (const r of records) {
        if (merge(r.value.tags).length > maxTagsPerResource) {
          throw new ApiError(
            'TagLimitExceeded',
            `The maximum number of tags (${maxTagsPerResource}) for ${r.value.instanceId} would be exceeded.`,
          );
        }
      }
      if (request.dryRun) throw dryRunOperation();
      // Tags reach the worker's metadata service: a new generation.
      for (const r of records) {
        await instances.update(r, (c) => ({ ...c, tags: merge(c.tags), generation: c.generation + 1 }));
      }
      return {};
    },

    async deleteTags(request, { accountId }) {
      checkResources(request.resources);
      const records = await instances.require(accountId, request.resources);
      if (request.dryRun) throw dryRunOperation();
      const keep = (t: StoredTag) =>
        request.tags.length > 0 &&
        !request.tags.some((d) => d.key === t.key && (d.value === undefined || d.value === t.value));
      for (const r of records) {
        await instances.update(r, (c) => {
          const tags = c.tags.filter(keep);
          return tags.length === c.tags.length ? undefined : { ...c, tags, generation: c.generation + 1 };
        });
      }
      return {};
    },

    async describeTags(request, { accountId }) {
      const pageSize = resolveMaxResults(request.maxResults, { min: 5, max: 1000 });
      type Row = { key: string; value: string; resourceId: string; resourceType: string };
      const matches = compileFilters<Row>(request.filters, {
        key: (t) => t.key,
        value: (t) => t.value,
        'resource-id': (t) => t.resourceId,
        'resource-type': (t) => t.resourceType,
      });
      if (request.dryRun) throw dryRunOperation();
      const all =
        (await deps.cache?.list(accountId)) ?? (await instances.list(accountId)).map((r) => r.value);
      const rows: Row[] = all
        .flatMap((r) => r.tags.map((t) => ({ ...t, resourceId: r.instanceId, resourceType: 'instance' })))
        .filter(matches)
        .sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.key.localeCompare(b.key));
      const page = pageOf(rows, (t) => `${t.resourceId}/${t.key}`, {
        nextToken: request.nextToken,
        pageSize,
      });
      return { tags: page.items, nextToken: page.nextToken };
    },
  };
}
