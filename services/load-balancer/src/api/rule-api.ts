/**
 * Listener rules: CreateRule, DescribeRules (by priority, the default rule
 * last), ModifyRule, DeleteRule, SetRulePriorities. A listener's rules are
 * kept in its record, so a change of priorities is one write.
 */
import type { LoadBalancingService } from '@nimbus/api/gen/nimbus/loadbalancing/v1/load_balancing_service_pb';
import type { Rule, RuleCondition } from '@nimbus/api/gen/nimbus/loadbalancing/v1/rule_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import type { Stored } from '@nimbus/service-kit';
import { parseArn, randomHex16, ruleArn } from '../domain/arns.js';
import { parseConditions } from '../domain/conditions.js';
import { ElbError, ElbErrorCode, validationError } from '../domain/elb-errors.js';
import type { ListenerRecord, RuleRecord } from '../state/records.js';
import { checkedAction } from './action-checks.js';
import type { ApiDeps } from './api-deps.js';
import type { Lookups } from './lookups.js';
import { pageOf } from './paging.js';
import { checkTags } from './tags.js';
import { defaultRuleArn, defaultRuleView, ruleView } from './views.js';

type RuleApi = Pick<
  ServiceImpl<typeof LoadBalancingService>,
  'createRule' | 'describeRules' | 'modifyRule' | 'deleteRule' | 'setRulePriorities'
>;

export const maxRulesPerListener = 100;

function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 1 || priority > 50000) {
    throw validationError(`Priority '${priority}' must be between '1' and '50000'`);
  }
}

const conditionsOf = (conditions: readonly RuleCondition[]) =>
  parseConditions(
    conditions.map((c) => ({
      field: c.field,
      values: c.values,
      ...(c.pathPatternConfig ? { pathPatternConfig: c.pathPatternConfig } : {}),
      ...(c.hostHeaderConfig ? { hostHeaderConfig: c.hostHeaderConfig } : {}),
    })),
  );

const priorityInUse = (priority: number) =>
  new ElbError(ElbErrorCode.priorityInUse, `Priority '${priority}' is currently in use`);

export function createRuleApi(deps: ApiDeps, lookups: Lookups): RuleApi {
  const { region } = deps;

  async function loadBalancerOf(listener: ListenerRecord) {
    return (await lookups.loadBalancer(listener.accountId, listener.loadBalancerArn)).value;
  }

  return {
    async createRule(request, { accountId }) {
      checkPriority(request.priority);
      const conditions = conditionsOf(request.conditions);
      const tags = checkTags(request.tags);
      for (;;) {
        const listener = await lookups.listener(accountId, request.listenerArn);
        const lb = await loadBalancerOf(listener.value);
        if (lb.type !== 'application') {
          throw validationError('Rules can be created only on listeners of application load balancers');
        }
        const action = await checkedAction(lookups, lb, request.actions);
        if (listener.value.rules.some((r) => r.priority === request.priority))
          throw priorityInUse(request.priority);
        if (listener.value.rules.length >= maxRulesPerListener) {
          throw new ElbError(
            ElbErrorCode.tooManyRules,
            `A listener can have at most ${maxRulesPerListener} rules`,
          );
        }
        const hex = randomHex16();
        const rule: RuleRecord = {
          arn: ruleArn(
            { region, accountId, type: lb.type, name: lb.name, hex: lb.hex },
            listener.value.hex,
            hex,
          ),
          hex,
          priority: request.priority,
          conditions,
          action,
          tags,
        };
        const next = { ...listener.value, rules: [...listener.value.rules, rule] };
        if (await lookups.listeners.update(listener, next)) return { rules: [ruleView(rule)] };
      }
    },

    async describeRules(request, { accountId }) {
      if ((request.listenerArn === '') === (request.ruleArns.length === 0)) {
        throw validationError('Exactly one of a listener ARN or rule ARNs must be specified');
      }
      let views: Rule[];
      if (request.listenerArn) {
        const listener = (await lookups.listener(accountId, request.listenerArn)).value;
        views = [...listener.rules].sort((a, b) => a.priority - b.priority).map(ruleView);
        views.push(defaultRuleView(listener));
      } else {
        views = [];
        for (const arn of request.ruleArns) {
          const parsed = parseArn(arn);
          if (parsed?.kind === 'listener-rule' && parsed.hex === '0000000000000000' && parsed.listenerHex) {
            const listenerArn = arn.replace(':listener-rule/', ':listener/').replace(/\/0{16}$/, '');
            const listener = (await lookups.listener(accountId, listenerArn)).value;
            if (defaultRuleArn(listener) === arn) {
              views.push(defaultRuleView(listener));
              continue;
            }
          }
          views.push(ruleView((await lookups.rule(accountId, arn)).rule));
        }
      }
      const { page, nextMarker } = pageOf(views, request.marker, request.pageSize);
      return { rules: page, nextMarker };
    },

    async modifyRule(request, { accountId }) {
      const conditions = request.conditions.length > 0 ? conditionsOf(request.conditions) : undefined;
      for (;;) {
        const { listener, rule } = await lookups.rule(accountId, request.ruleArn);
        const lb = await loadBalancerOf(listener.value);
        const action =
          request.actions.length > 0 ? await checkedAction(lookups, lb, request.actions) : rule.action;
        const changed: RuleRecord = { ...rule, conditions: conditions ?? rule.conditions, action };
        const next = {
          ...listener.value,
          rules: listener.value.rules.map((r) => (r.arn === rule.arn ? changed : r)),
        };
        if (await lookups.listeners.update(listener, next)) return { rules: [ruleView(changed)] };
      }
    },

    async deleteRule({ ruleArn: arn }, { accountId }) {
      if (/\/0{16}$/.test(arn))
        throw new ElbError(ElbErrorCode.operationNotPermitted, 'A default rule cannot be deleted');
      for (;;) {
        const { listener, rule } = await lookups.rule(accountId, arn);
        const next = { ...listener.value, rules: listener.value.rules.filter((r) => r.arn !== rule.arn) };
        if (await lookups.listeners.update(listener, next)) return {};
      }
    },

    async setRulePriorities({ rulePriorities }, { accountId }) {
      if (rulePriorities.length === 0) throw validationError('At least one rule priority must be specified');
      for (const p of rulePriorities) checkPriority(p.priority);
      for (;;) {
        let listener: Stored<ListenerRecord> | undefined;
        for (const p of rulePriorities) {
          const found = await lookups.rule(accountId, p.ruleArn);
          if (listener && found.listener.key !== listener.key) {
            throw validationError('The rules must all belong to one listener');
          }
          listener = found.listener;
        }
        if (!listener) return { rules: [] };
        const wanted = new Map(rulePriorities.map((p) => [p.ruleArn, p.priority]));
        if (wanted.size !== rulePriorities.length) throw validationError('A rule is named twice');
        const rules = listener.value.rules.map((r) => ({ ...r, priority: wanted.get(r.arn) ?? r.priority }));
        const seen = new Set<number>();
        for (const r of rules) {
          if (seen.has(r.priority)) throw priorityInUse(r.priority);
          seen.add(r.priority);
        }
        if (await lookups.listeners.update(listener, { ...listener.value, rules })) {
          return {
            rules: rules
              .filter((r) => wanted.has(r.arn))
              .sort((a, b) => a.priority - b.priority)
              .map(ruleView),
          };
        }
      }
    },
  };
}
