/** Stored lifecycle policies as the API shows them (DLM's shapes). */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type LifecyclePolicy,
  LifecyclePolicySchema,
  type LifecyclePolicySummary,
  LifecyclePolicySummarySchema,
} from '@nimbus/api/gen/nimbus/storage/v1/lifecycle_policy_pb';
import { toTags } from '@nimbus/service-kit';
import type { LifecyclePolicyRecord } from '../state/lifecycle-policy-records.js';

export function policyArn(region: string, p: LifecyclePolicyRecord): string {
  return `arn:aws:dlm:${region}:${p.ownerId}:policy/${p.policyId}`;
}

export function lifecyclePolicyView(region: string, p: LifecyclePolicyRecord): LifecyclePolicy {
  return create(LifecyclePolicySchema, {
    policyId: p.policyId,
    description: p.description,
    state: p.state,
    statusMessage: p.state === 'ENABLED' ? 'ENABLED' : 'DISABLED',
    executionRoleArn: p.executionRoleArn,
    dateCreated: timestampFromDate(new Date(p.dateCreated)),
    dateModified: timestampFromDate(new Date(p.dateModified)),
    policyDetails: {
      policyType: p.policyDetails.policyType,
      resourceTypes: [...p.policyDetails.resourceTypes],
      targetTags: toTags(p.policyDetails.targetTags),
      schedules: p.policyDetails.schedules.map((s) => ({
        name: s.name,
        copyTags: s.copyTags,
        tagsToAdd: toTags(s.tagsToAdd),
        createRule:
          'cronExpression' in s.createRule
            ? { cronExpression: s.createRule.cronExpression }
            : {
                interval: s.createRule.interval,
                intervalUnit: 'HOURS',
                times: [...s.createRule.times],
                location: 'CLOUD',
              },
        retainRule: 'count' in s.retainRule ? { count: s.retainRule.count } : { ...s.retainRule },
      })),
    },
    tags: { ...p.tags },
    policyArn: policyArn(region, p),
  });
}

export function lifecyclePolicySummary(p: LifecyclePolicyRecord): LifecyclePolicySummary {
  return create(LifecyclePolicySummarySchema, {
    policyId: p.policyId,
    description: p.description,
    state: p.state,
    tags: { ...p.tags },
    policyType: p.policyDetails.policyType,
  });
}
