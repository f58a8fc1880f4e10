import { describe, expect, it } from 'vitest';
import { compileIngress } from './ingress.js';

describe('security group ingress', () => {
  it('allows TCP to the ports of a rule from its CIDRs, and nothing else', () => {
    const check = compileIngress([
      { protocol: 'tcp', fromPort: 80, toPort: 90, cidrs: ['127.10.0.0/16'] },
      { protocol: 'udp', fromPort: 100, toPort: 100, cidrs: ['0.0.0.0/0'] },
      { protocol: '-1', cidrs: ['127.0.0.1/32'] },
    ]);
    expect(check('127.10.200.3', 85)).toBe(true);
    expect(check('::ffff:127.10.200.3', 90)).toBe(true);
    expect(check('127.11.0.1', 85)).toBe(false);
    expect(check('127.10.0.1', 91)).toBe(false);
    expect(check('127.12.0.1', 100)).toBe(false);
    expect(check('127.0.0.1', 4000)).toBe(true);
    expect(check('not-an-ip', 80)).toBe(false);
    expect(compileIngress([])('127.0.0.1', 80)).toBe(false);
  });
});
