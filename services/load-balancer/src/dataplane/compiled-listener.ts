/**
 * A listener compiled for the request path: its rules in priority order with
 * their conditions as predicates, then the default action. Rebuilt whole on
 * every change and swapped in, so a request sees one version or the other.
 */
import type { ActionSpec } from '../domain/actions.js';
import { type CompiledConditions, compileConditions, type RequestView } from '../domain/conditions.js';
import type { ListenerRecord } from '../state/records.js';

export interface CompiledListener {
  arn: string;
  port: number;
  protocol: 'HTTP' | 'TCP';
  rules: { priority: number; matches: CompiledConditions; action: ActionSpec }[];
  defaultAction: ActionSpec;
}

export function compileListener(record: ListenerRecord): CompiledListener {
  return {
    arn: record.arn,
    port: record.port,
    protocol: record.protocol,
    rules: [...record.rules]
      .sort((a, b) => a.priority - b.priority)
      .map((r) => ({ priority: r.priority, matches: compileConditions(r.conditions), action: r.action })),
    defaultAction: record.defaultAction,
  };
}

/** The action for a request: the first rule that matches, else the default. */
export function actionFor(listener: CompiledListener, request: RequestView): ActionSpec {
  for (const rule of listener.rules) if (rule.matches(request)) return rule.action;
  return listener.defaultAction;
}

/** The target group a forward sends this request to: by weight when there are several. */
export function chooseTargetGroup(action: Extract<ActionSpec, { type: 'forward' }>): string | undefined {
  const groups = action.targetGroups;
  if (groups.length === 1) return groups[0]?.targetGroupArn;
  const total = groups.reduce((sum, g) => sum + g.weight, 0);
  let r = Math.random() * total;
  for (const g of groups) {
    r -= g.weight;
    if (r < 0) return g.targetGroupArn;
  }
  return groups.findLast((g) => g.weight > 0)?.targetGroupArn;
}
