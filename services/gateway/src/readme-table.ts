/**
 * The README's table of implemented actions, printed from the action tables
 * so that it cannot drift from them (readme-table.test.ts compares the two).
 */
import type { QueryAction } from './query/query-action.js';

export const tableStart =
  '<!-- gateway-actions: generated from the action tables of services/gateway (readme-table.ts) -->';
export const tableEnd = '<!-- /gateway-actions -->';

export function actionsTable(apis: readonly { title: string; actions: readonly QueryAction[] }[]): string {
  const rows: [string, string, string][] = [['API', 'action', 'served by']];
  for (const api of apis) {
    for (const entry of [...api.actions].sort((a, b) => a.action.localeCompare(b.action))) {
      const by = entry.byResource
        ? [...new Set(Object.values(entry.byResource))].sort().join(', ')
        : entry.service;
      rows.push([api.title, entry.action, by]);
    }
  }
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [header, ...body] = rows;
  return [
    line(header as [string, string, string]),
    line(widths.map((width) => '-'.repeat(width))),
    ...body.map(line),
  ].join('\n');
}
