/** Rule conditions on path and host, with ELBv2's wildcards and limits. */
import { validationError } from './elb-errors.js';
import { wildcardRegExp } from './wildcards.js';

export interface ConditionSpec {
  field: 'path-pattern' | 'host-header';
  values: string[];
}

export interface ConditionInput {
  field: string;
  values: string[];
  pathPatternConfig?: { values: string[] };
  hostHeaderConfig?: { values: string[] };
}

/** Conditions of a rule: at most one per field, 1-5 values in all, up to 128 characters each. */
export function parseConditions(inputs: readonly ConditionInput[]): ConditionSpec[] {
  if (inputs.length === 0) throw validationError('A rule must have at least one condition');
  const seen = new Set<string>();
  let total = 0;
  const out: ConditionSpec[] = [];
  for (const input of inputs) {
    if (input.field !== 'path-pattern' && input.field !== 'host-header') {
      throw validationError(`Condition field '${input.field}' must be one of 'path-pattern', 'host-header'`);
    }
    if (seen.has(input.field)) throw validationError(`A rule can have only one '${input.field}' condition`);
    seen.add(input.field);
    const config = input.field === 'path-pattern' ? input.pathPatternConfig : input.hostHeaderConfig;
    const values = config && config.values.length > 0 ? config.values : input.values;
    if (config && config.values.length > 0 && input.values.length > 0) {
      throw validationError(`Condition '${input.field}' cannot have both values and a config`);
    }
    if (values.length === 0) throw validationError(`Condition '${input.field}' must have at least one value`);
    for (const value of values) {
      if (value.length === 0 || value.length > 128) {
        throw validationError(`Condition value '${value}' must be 1-128 characters`);
      }
      const allowed =
        input.field === 'path-pattern' ? /^[A-Za-z0-9_\-.$/~"'@:+&()!,;=*?%]+$/ : /^[A-Za-z0-9\-.*?]+$/;
      if (!allowed.test(value))
        throw validationError(`Condition value '${value}' contains characters not allowed`);
    }
    total += values.length;
    out.push({ field: input.field, values: [...values] });
  }
  if (total > 5) throw validationError(`A rule can have at most 5 condition values in all, got ${total}`);
  return out;
}

/** A request's view for matching: its path (without query) and host (without port). */
export interface RequestView {
  path: string;
  host: string;
}

export type CompiledConditions = (request: RequestView) => boolean;

/** All conditions must hold; within one, any value matches. Paths are case-sensitive, hosts not. */
export function compileConditions(conditions: readonly ConditionSpec[]): CompiledConditions {
  const checks = conditions.map((c) => {
    const patterns = c.values.map((v) => wildcardRegExp(v, c.field === 'host-header'));
    return c.field === 'path-pattern'
      ? (r: RequestView) => patterns.some((p) => p.test(r.path))
      : (r: RequestView) => patterns.some((p) => p.test(r.host));
  });
  return (request) => checks.every((check) => check(request));
}
