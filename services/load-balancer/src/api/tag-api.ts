/** AddTags, RemoveTags, DescribeTags on load balancers, target groups, listeners and rules. */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import { parseArn } from '../domain/arns.js';
import { validationError } from '../domain/elb-errors.js';
import type { TagRecord } from '../state/records.js';
import type { Lookups } from './lookups.js';
import { checkTags, mergeTags } from './tags.js';

type TagApi = Pick<ServiceImpl<typeof LoadBalancingService>, 'addTags' | 'removeTags' | 'describeTags'>;

export function createTagApi(lookups: Lookups): TagApi {
  /** Reads the tags of `arn`, and writes them changed by `change` when given. */
  async function tagsOf(accountId: string, arn: string, change?: (tags: TagRecord[]) => TagRecord[]) {
    const kind = parseArn(arn)?.kind;
    for (;;) {
      switch (kind) {
        case 'loadbalancer': {
          const r = await lookups.loadBalancer(accountId, arn);
          if (!change || (await lookups.loadBalancers.update(r, { ...r.value, tags: change(r.value.tags) })))
            return r.value.tags;
          break;
        }
        case 'targetgroup': {
          const r = await lookups.targetGroup(accountId, arn);
          if (!change || (await lookups.targetGroups.update(r, { ...r.value, tags: change(r.value.tags) })))
            return r.value.tags;
          break;
        }
        case 'listener': {
          const r = await lookups.listener(accountId, arn);
          if (!change || (await lookups.listeners.update(r, { ...r.value, tags: change(r.value.tags) })))
            return r.value.tags;
          break;
        }
        case 'listener-rule': {
          const { listener, rule } = await lookups.rule(accountId, arn);
          if (!change) return rule.tags;
          const rules = listener.value.rules.map((x) => (x.arn === arn ? { ...x, tags: change(x.tags) } : x));
          if (await lookups.listeners.update(listener, { ...listener.value, rules })) return rule.tags;
          break;
        }
        default:
          throw validationError(`'${arn}' is not a valid resource ARN`);
      }
    }
  }

  const checkArns = (arns: readonly string[]) => {
    if (arns.length === 0) throw validationError('At least one resource ARN must be specified');
    if (arns.length > 20) throw validationError('At most 20 resource ARNs can be specified');
  };

  return {
    async addTags({ resourceArns, tags }, { accountId }) {
      checkArns(resourceArns);
      const added = checkTags(tags);
      if (added.length === 0) throw validationError('At least one tag must be specified');
      for (const arn of resourceArns) await tagsOf(accountId, arn);
      for (const arn of resourceArns) await tagsOf(accountId, arn, (current) => mergeTags(current, added));
      return {};
    },
    async removeTags({ resourceArns, tagKeys }, { accountId }) {
      checkArns(resourceArns);
      if (tagKeys.length === 0) throw validationError('At least one tag key must be specified');
      for (const arn of resourceArns) await tagsOf(accountId, arn);
      for (const arn of resourceArns)
        await tagsOf(accountId, arn, (current) => current.filter((t) => !tagKeys.includes(t.key)));
      return {};
    },
    async describeTags({ resourceArns }, { accountId }) {
      checkArns(resourceArns);
      const tagDescriptions = [];
      for (const resourceArn of resourceArns)
        tagDescriptions.push({ resourceArn, tags: await tagsOf(accountId, resourceArn) });
      return { tagDescriptions };
    },
  };
}
