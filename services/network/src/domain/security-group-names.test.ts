import { codeOf } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import {
  checkGroupDeletable,
  checkGroupsPerInterface,
  validateGroupDescription,
  validateGroupName,
} from './security-group-names.js';

describe('security group names', () => {
  it('accepts ordinary names up to 255 characters', () => {
    expect(codeOf(() => validateGroupName('web servers (prod) #1'))).toBeUndefined();
    expect(codeOf(() => validateGroupName('g'.repeat(255)))).toBeUndefined();
  });

  it('refuses default, sg- names, long names, odd characters and empty ones with their EC2 codes', () => {
    expect(codeOf(() => validateGroupName('default'))).toBe('InvalidGroup.Reserved');
    expect(codeOf(() => validateGroupName('sg-web'))).toBe('InvalidParameterValue');
    expect(codeOf(() => validateGroupName('g'.repeat(256)))).toBe('InvalidParameterValue');
    expect(codeOf(() => validateGroupName('web<script>'))).toBe('InvalidParameterValue');
    expect(codeOf(() => validateGroupName(''))).toBe('MissingParameter');
    expect(codeOf(() => validateGroupDescription(''))).toBe('MissingParameter');
    expect(codeOf(() => validateGroupDescription('d'.repeat(256)))).toBe('InvalidParameterValue');
  });

  it('allows five groups per interface, counting each group once', () => {
    const five = ['sg-1', 'sg-2', 'sg-3', 'sg-4', 'sg-5'];
    expect(checkGroupsPerInterface([...five, 'sg-1'])).toEqual(five);
    expect(codeOf(() => checkGroupsPerInterface([...five, 'sg-6']))).toBe(
      'SecurityGroupsPerInterfaceLimitExceeded',
    );
  });

  it('refuses to delete the default group with CannotDelete', () => {
    expect(codeOf(() => checkGroupDeletable('default', 'sg-0123456789abcdef0'))).toBe('CannotDelete');
    expect(codeOf(() => checkGroupDeletable('web', 'sg-0123456789abcdef0'))).toBeUndefined();
  });
});
