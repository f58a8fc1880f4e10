import { invalidParameterValue } from './api-error.js';

/**
 * EC2 Describe filters: a resource passes when, for every filter, one of the
 * filter's values matches the named attribute. Values may carry the wildcards
 * `*` (any run, also empty) and `?` (exactly one character), escaped with `\`;
 * matching is case-sensitive, as in EC2. `tag:<key>` matches the value of that
 * tag, `tag-key` any tag's key and `tag-value` any tag's value.
 */
export interface FilterInput {
  name: string;
  values: readonly string[];
}

export type FilterFieldValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** How each filter name reads its attribute: `'vpc-id': (v) => v.vpcId`. */
export type FilterFields<R> = Readonly<Record<string, (resource: R) => FilterFieldValue>>;

export interface FilterTag {
  key: string;
  value: string;
}

export interface FilterOptions<R> {
  /** The resource's tags; without it, tag filters are unknown names. */
  tags?: (resource: R) => readonly FilterTag[];
}

/** A value with EC2 wildcards as an anchored regular expression. */
export function wildcardPattern(value: string): RegExp {
  let source = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch === '\\' && i + 1 < value.length) {
      source += escapeRegExp(value[++i] as string);
    } else if (ch === '*') {
      source += '[\\s\\S]*';
    } else if (ch === '?') {
      source += '[\\s\\S]';
    } else {
      source += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function asStrings(value: FilterFieldValue): string[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.map(String);
  return [String(value)];
}

/**
 * Checks the filters once (an unknown name is `InvalidParameterValue` naming
 * it) and returns the predicate a Describe call runs over each resource.
 */
export function compileFilters<R>(
  filters: readonly FilterInput[],
  fields: FilterFields<R>,
  options: FilterOptions<R> = {},
): (resource: R) => boolean {
  const predicates = filters.map((filter): ((resource: R) => boolean) => {
    if (filter.values.length === 0) {
      throw invalidParameterValue(`The filter '${filter.name}' must have at least one value.`);
    }
    const patterns = filter.values.map(wildcardPattern);
    const anyMatches = (candidates: readonly string[]) =>
      candidates.some((c) => patterns.some((p) => p.test(c)));
    const tags = options.tags;
    if (tags && filter.name.startsWith('tag:')) {
      const key = filter.name.slice(4);
      return (r) =>
        anyMatches(
          tags(r)
            .filter((t) => t.key === key)
            .map((t) => t.value),
        );
    }
    if (tags && filter.name === 'tag-key') return (r) => anyMatches(tags(r).map((t) => t.key));
    if (tags && filter.name === 'tag-value') return (r) => anyMatches(tags(r).map((t) => t.value));
    const read = Object.hasOwn(fields, filter.name) ? fields[filter.name] : undefined;
    if (!read) throw invalidParameterValue(`The filter '${filter.name}' is invalid`);
    return (r) => anyMatches(asStrings(read(r)));
  });
  return (resource) => predicates.every((p) => p(resource));
}

/** Whether one resource passes the filters. */
export function matchesFilters<R>(
  resource: R,
  filters: readonly FilterInput[],
  fields: FilterFields<R>,
  options: FilterOptions<R> = {},
): boolean {
  return compileFilters(filters, fields, options)(resource);
}
