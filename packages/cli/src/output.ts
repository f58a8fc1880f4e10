/**
 * Renders a response as `json` (protobuf JSON, the default) or `table`: rows
 * of the response's list of resources, with nested fields as dotted columns.
 */
export type OutputFormat = 'json' | 'table';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Leaf values of an object under dotted paths; lists of scalars joined with commas. */
function flatten(value: Json, prefix = '', into: Map<string, string> = new Map()): Map<string, string> {
  if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into);
  } else if (Array.isArray(value)) {
    if (value.every((v) => !isObject(v) && !Array.isArray(v))) into.set(prefix, value.join(','));
    else for (const [i, child] of value.entries()) flatten(child, `${prefix}[${i}]`, into);
  } else {
    into.set(prefix, value === null ? '' : String(value));
  }
  return into;
}

export function renderTable(rows: Map<string, string>[]): string {
  const columns = [...new Set(rows.flatMap((row) => [...row.keys()]))];
  if (columns.length === 0) return '(empty)';
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => (row.get(c) ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((row) => line(columns.map((c) => row.get(c) ?? ''))),
  ].join('\n');
}

export function render(json: Json, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(json, null, 2);
  if (isObject(json)) {
    const lists = Object.values(json).filter((v) => Array.isArray(v) && v.some(isObject)) as Json[][];
    if (lists.length === 1) return renderTable((lists[0] as Json[]).map((item) => flatten(item)));
  }
  return renderTable([flatten(json)]);
}
