import {
  CreateWidgetRequestSchema,
  DescribeWidgetsRequestSchema,
} from '@nimbus/api/gen/nimbus/testing/v1/widget_pb';
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './parse-args.js';
import { requestFromFlags } from './request-from-flags.js';

const describeWidgets = (...argv: string[]) =>
  requestFromFlags(DescribeWidgetsRequestSchema, parseArgs(['describe-widgets', ...argv]));
const createWidget = (...argv: string[]) =>
  requestFromFlags(CreateWidgetRequestSchema, parseArgs(['create-widget', ...argv]));

describe('requestFromFlags', () => {
  it('fills scalars and lists from kebab-case flags', () => {
    const request = describeWidgets('--widget-ids', 'w-1', 'w-2', '--max-results', '10', '--dry-run');
    expect(request.widgetIds).toEqual(['w-1', 'w-2']);
    expect(request.maxResults).toBe(10);
    expect(request.dryRun).toBe(true);
  });

  it('reads the aws-cli shorthand for filters, one filter per word', () => {
    const request = describeWidgets('--filters', 'Name=size,Values=big,small', 'Name=tag:env,Values=prod');
    expect(request.filters.map((f) => [f.name, f.values])).toEqual([
      ['size', ['big', 'small']],
      ['tag:env', ['prod']],
    ]);
  });

  it('reads JSON values and nested lists', () => {
    const request = createWidget(
      '--tag-specifications',
      '{"resourceType":"widget","tags":[{"key":"env","value":"prod"}]}',
      '--labels',
      'a=1,b=2',
      '--weight',
      '9007199254740993',
    );
    expect(request.tagSpecifications[0]?.tags[0]).toMatchObject({ key: 'env', value: 'prod' });
    expect(request.labels).toEqual({ a: '1', b: '2' });
    expect(request.weight).toBe(9007199254740993n);
  });

  it('takes the whole request from --cli-input-json, with flags overriding', () => {
    const request = createWidget('--cli-input-json', '{"size":"big","count":3}', '--count', '4');
    expect(request.size).toBe('big');
    expect(request.count).toBe(4);
  });

  it('names the options a command takes when given an unknown one', () => {
    expect(() => describeWidgets('--widget-id', 'w-1')).toThrow(/unknown option --widget-id.*--widget-ids/);
  });

  it('refuses a number that is not one, and an unknown shorthand key', () => {
    expect(() => describeWidgets('--max-results', 'ten')).toThrow(UsageError);
    expect(() => describeWidgets('--filters', 'Nme=size')).toThrow(/has no field 'Nme'/);
  });
});
