import { EchoService } from '@nimbus/api/gen/nimbus/testing/v1/echo_pb';
import { WidgetService } from '@nimbus/api/gen/nimbus/testing/v1/widget_pb';
import { describe, expect, it } from 'vitest';
import { collectVerbs, similarVerbs, verbName } from './verbs.js';

describe('verbs', () => {
  it('names verbs after the action in kebab-case', () => {
    const names = WidgetService.methods.map(verbName);
    expect(names).toEqual(['describe-widgets', 'create-widget']);
  });

  it('keeps acronyms together as the AWS CLI does', () => {
    const fake = { name: 'AssociateVPCCidrBlock' } as Parameters<typeof verbName>[0];
    expect(verbName(fake)).toBe('associate-vpc-cidr-block');
  });

  it('offers unary methods only, and suggests near misses', () => {
    const verbs = collectVerbs([WidgetService, EchoService]);
    expect([...verbs.keys()].sort()).toEqual(['create-widget', 'describe-widgets', 'echo', 'fail']);
    expect(similarVerbs(verbs.keys(), 'describe-widget')).toEqual(['describe-widgets']);
  });
});
