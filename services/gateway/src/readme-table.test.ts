import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ec2Actions } from './ec2/ec2-actions.js';
import { elbv2Actions } from './elbv2/elbv2-actions.js';
import { actionsTable, tableEnd, tableStart } from './readme-table.js';

describe("the README's table of implemented actions", () => {
  it('is the one the action tables print', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf(tableStart);
    const end = readme.indexOf(tableEnd);
    expect(start, `README.md has no ${tableStart}`).toBeGreaterThan(0);
    expect(readme.slice(start + tableStart.length, end).trim()).toBe(
      actionsTable([
        { title: 'EC2', actions: ec2Actions },
        { title: 'ELBv2', actions: elbv2Actions },
      ]),
    );
  });
});
