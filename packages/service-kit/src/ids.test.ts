import { describe, expect, it } from 'vitest';
import { isId, newId } from './ids.js';

// The prefixes of EC2 ids, as the services use them.
const prefixes = [
  'i',
  'r',
  'ami',
  'vol',
  'snap',
  'vpc',
  'subnet',
  'eni',
  'eni-attach',
  'sg',
  'sgr',
  'key',
  'eipalloc',
  'eipassoc',
  'lt',
];

describe('ids', () => {
  it('makes ids of the EC2 form for every prefix', () => {
    for (const prefix of prefixes) {
      const id = newId(prefix);
      expect(id).toMatch(new RegExp(`^${prefix}-[0-9a-f]{17}$`));
      expect(isId(prefix, id)).toBe(true);
    }
  });

  it('makes distinct ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('vpc')));
    expect(ids.size).toBe(10_000);
  });

  it('refuses malformed ids and ids of another kind', () => {
    expect(isId('vpc', 'vpc-0123456789abcdef0')).toBe(true);
    expect(isId('vpc', 'vpc-0123456789ABCDEF0')).toBe(false);
    expect(isId('vpc', 'vpc-0123456789abcdef')).toBe(false);
    expect(isId('vpc', 'vpc-0123456789abcdef01')).toBe(false);
    expect(isId('vpc', 'subnet-0123456789abcdef0')).toBe(false);
    expect(isId('eni', 'eni-attach-0123456789abcdef0')).toBe(false);
    expect(isId('eni-attach', 'eni-attach-0123456789abcdef0')).toBe(true);
    expect(isId('sg', 'sgr-0123456789abcdef0')).toBe(false);
  });
});
