/**
 * CreateLifecyclePolicy, GetLifecyclePolicies, GetLifecyclePolicy,
 * UpdateLifecyclePolicy, DeleteLifecyclePolicy: Amazon Data Lifecycle
 * Manager's actions over records under /nimbus/storage/lifecycle-policies/.
 * The lifecycle controller (controller/lifecycle-controller.ts) runs them.
 */
import type { BlockStorageService } from '@nimbus/api/gen/nimbus/storage/v1/block_storage_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { createRecords, type Stored } from '@nimbus/service-kit';
import { newId } from '../domain/ids.js';
import {
  checkDescription,
  checkExecutionRoleArn,
  checkPolicyDetails,
  checkPolicyId,
  checkPolicyTags,
  checkState,
  invalidRequest,
  maxPoliciesPerAccount,
  policyLimitExceeded,
  policyNotFound,
} from '../domain/lifecycle-policy-rules.js';
import type { LifecyclePolicyRecord } from '../state/lifecycle-policy-records.js';
import { storageKeys } from '../state/storage-keys.js';
import type { ApiDeps } from './api-deps.js';
import { lifecyclePolicySummary, lifecyclePolicyView } from './lifecycle-policy-views.js';

type LifecyclePolicyApi = Pick<
  ServiceImpl<typeof BlockStorageService>,
  | 'createLifecyclePolicy'
  | 'getLifecyclePolicies'
  | 'getLifecyclePolicy'
  | 'updateLifecyclePolicy'
  | 'deleteLifecyclePolicy'
>;

/** "key=value" as DLM's GetLifecyclePolicies filters write a tag. */
function tagFilter(text: string): { key: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw invalidRequest(`The tag filter '${text}' must have the form key=value.`);
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}

export function createLifecyclePolicyApi(deps: ApiDeps): LifecyclePolicyApi {
  const policies = createRecords<LifecyclePolicyRecord>(deps.store);
  const region = deps.config.region;

  const getPolicy = async (accountId: string, policyId: string): Promise<Stored<LifecyclePolicyRecord>> => {
    checkPolicyId(policyId);
    const record = await policies.get(storageKeys.lifecyclePolicy(accountId, policyId));
    if (!record) throw policyNotFound([policyId]);
    return record;
  };

  return {
    async createLifecyclePolicy(request, { accountId }) {
      const description = checkDescription(request.description);
      const state = checkState(request.state);
      const policyDetails = checkPolicyDetails(request.policyDetails);
      const executionRoleArn = checkExecutionRoleArn(request.executionRoleArn);
      const tags = checkPolicyTags(request.tags);
      const existing = await deps.store.list(storageKeys.lifecyclePolicies(accountId), {
        limit: maxPoliciesPerAccount,
      });
      if (existing.items.length >= maxPoliciesPerAccount) throw policyLimitExceeded();
      const now = deps.now();
      const record: LifecyclePolicyRecord = {
        policyId: newId('policy'),
        ownerId: accountId,
        description,
        state,
        executionRoleArn,
        dateCreated: new Date(now).toISOString(),
        dateModified: new Date(now).toISOString(),
        policyDetails,
        tags,
        activeSinceMs: now,
      };
      if (!(await policies.create(storageKeys.lifecyclePolicy(accountId, record.policyId), record))) {
        throw new Error('a new policy id was already taken');
      }
      return { policyId: record.policyId };
    },

    async getLifecyclePolicies(request, { accountId }) {
      for (const id of request.policyIds) checkPolicyId(id);
      if (request.state !== '' && !['ENABLED', 'DISABLED', 'ERROR'].includes(request.state)) {
        throw invalidRequest(
          `The State '${request.state}' is not valid; it must be ENABLED, DISABLED or ERROR.`,
        );
      }
      for (const type of request.resourceTypes) {
        if (type !== 'VOLUME' && type !== 'INSTANCE') {
          throw invalidRequest(`The resource type '${type}' is not valid; it must be VOLUME or INSTANCE.`);
        }
      }
      const targetTags = request.targetTags.map(tagFilter);
      const tagsToAdd = request.tagsToAdd.map(tagFilter);
      const all = (await policies.list(storageKeys.lifecyclePolicies(accountId))).map((r) => r.value);
      const missing = request.policyIds.filter((id) => !all.some((p) => p.policyId === id));
      if (missing.length > 0) throw policyNotFound(missing);
      const has = (tags: { key: string; value: string }[], wanted: { key: string; value: string }[]) =>
        wanted.length === 0 || wanted.some((w) => tags.some((t) => t.key === w.key && t.value === w.value));
      const selected = all.filter(
        (p) =>
          (request.policyIds.length === 0 || request.policyIds.includes(p.policyId)) &&
          (request.state === '' || p.state === request.state) &&
          (request.resourceTypes.length === 0 ||
            request.resourceTypes.some((t) => (p.policyDetails.resourceTypes as string[]).includes(t))) &&
          has(p.policyDetails.targetTags, targetTags) &&
          has(
            p.policyDetails.schedules.flatMap((s) => s.tagsToAdd),
            tagsToAdd,
          ),
      );
      return { policies: selected.map(lifecyclePolicySummary) };
    },

    async getLifecyclePolicy(request, { accountId }) {
      const record = await getPolicy(accountId, request.policyId);
      return { policy: lifecyclePolicyView(region, record.value) };
    },

    async updateLifecyclePolicy(request, { accountId }) {
      const description = request.description === '' ? undefined : checkDescription(request.description);
      const state = request.state === '' ? undefined : checkState(request.state);
      const policyDetails = request.policyDetails ? checkPolicyDetails(request.policyDetails) : undefined;
      const executionRoleArn =
        request.executionRoleArn === '' ? undefined : checkExecutionRoleArn(request.executionRoleArn);
      for (;;) {
        const record = await getPolicy(accountId, request.policyId);
        const now = deps.now();
        const enabledAgain = state === 'ENABLED' && record.value.state !== 'ENABLED';
        const next: LifecyclePolicyRecord = {
          ...record.value,
          ...(description === undefined ? {} : { description }),
          ...(state === undefined ? {} : { state }),
          ...(policyDetails === undefined ? {} : { policyDetails }),
          ...(executionRoleArn === undefined ? {} : { executionRoleArn }),
          dateModified: new Date(now).toISOString(),
          // Schedules start afresh from a change: no catching up on times missed while disabled or under other rules.
          activeSinceMs: enabledAgain || policyDetails ? now : record.value.activeSinceMs,
        };
        if (await policies.update(record, next)) return {};
      }
    },

    async deleteLifecyclePolicy(request, { accountId }) {
      for (;;) {
        const record = await getPolicy(accountId, request.policyId);
        // The controller sees the deletion and forgets the schedules' runs; the snapshots stay, as in DLM.
        if (await policies.delete(record)) return {};
      }
    },
  };
}
