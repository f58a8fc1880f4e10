import { describe, expect, it } from 'vitest';
import { parseArgs, takeFlag, UsageError } from './parse-args.js';

describe('parseArgs', () => {
  it('reads a verb and flags that take every following word', () => {
    const args = parseArgs([
      'describe-widgets',
      '--widget-ids',
      'w-1',
      'w-2',
      '--dry-run',
      '--max-results=5',
    ]);
    expect(args.verb).toBe('describe-widgets');
    expect(Object.fromEntries(args.flags)).toEqual({
      'widget-ids': ['w-1', 'w-2'],
      'dry-run': [],
      'max-results': ['5'],
    });
  });

  it('turns --no-x into x false', () => {
    expect(parseArgs(['v', '--no-dry-run']).flags.get('dry-run')).toEqual(['false']);
  });

  it('refuses a second bare word', () => {
    expect(() => parseArgs(['v', 'stray'])).toThrow(UsageError);
  });

  it('takes a single-valued flag out of the map', () => {
    const args = parseArgs(['v', '--output', 'table', '--size', 'big']);
    expect(takeFlag(args, 'output')).toBe('table');
    expect([...args.flags.keys()]).toEqual(['size']);
    expect(() => takeFlag(parseArgs(['v', '--output', 'a', 'b']), 'output')).toThrow(
      '--output takes one value',
    );
  });
});
