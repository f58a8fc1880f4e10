import { describe, expect, it } from 'vitest';
import { allows, createRuleMatcher, tcpPortRanges } from './rule-matcher.js';
import { authorizeRules, defaultGroupIngressRule, type IpPermissionInput } from './security-group-rules.js';

const rules = (...permissions: IpPermissionInput[]) => authorizeRules([], permissions, 'ingress');
const from = (cidrIp: string) => [{ cidrIp }];

describe('rule matching', () => {
  it('allows a TCP port only from the CIDR that a rule names', () => {
    const r = rules({ ipProtocol: 'tcp', fromPort: 8000, toPort: 8080, ipRanges: from('127.1.0.0/16') });
    expect(allows(r, { protocol: 'tcp', port: 8000, source: '127.1.2.3' })).toBe(true);
    expect(allows(r, { protocol: 'tcp', port: 8080, source: '127.1.255.255' })).toBe(true);
    expect(allows(r, { protocol: 'tcp', port: 8081, source: '127.1.2.3' })).toBe(false);
    expect(allows(r, { protocol: 'tcp', port: 7999, source: '127.1.2.3' })).toBe(false);
    expect(allows(r, { protocol: 'tcp', port: 8000, source: '127.2.0.1' })).toBe(false);
    expect(allows(r, { protocol: 'udp', port: 8000, source: '127.1.2.3' })).toBe(false);
    expect(allows(r, { protocol: 6, port: 8000, source: '127.1.2.3' })).toBe(true);
    expect(allows(r, { protocol: 'tcp', port: 8000, source: 'not-an-ip' })).toBe(false);
  });

  it('denies everything without rules, and allows everything with an all-traffic rule', () => {
    expect(allows([], { protocol: 'tcp', port: 22, source: '127.0.0.1' })).toBe(false);
    const all = rules({ ipProtocol: '-1', ipRanges: from('0.0.0.0/0') });
    expect(allows(all, { protocol: 'tcp', port: 1, source: '1.2.3.4' })).toBe(true);
    expect(allows(all, { protocol: 'udp', port: 65535, source: '127.9.9.9' })).toBe(true);
    expect(allows(all, { protocol: 'icmp', port: 8, source: '127.9.9.9' })).toBe(true);
  });

  it('matches a group rule by membership, not by address', () => {
    const r = [defaultGroupIngressRule('sg-0aaaaaaaaaaaaaaaa')];
    expect(allows(r, { protocol: 'tcp', port: 5432, source: { groupIds: ['sg-0aaaaaaaaaaaaaaaa'] } })).toBe(
      true,
    );
    expect(allows(r, { protocol: 'tcp', port: 5432, source: { groupIds: ['sg-0bbbbbbbbbbbbbbbb'] } })).toBe(
      false,
    );
    expect(allows(r, { protocol: 'tcp', port: 5432, source: '127.0.0.1' })).toBe(false);
  });

  it('matches icmp type and code', () => {
    const r = rules({ ipProtocol: 'icmp', fromPort: 3, toPort: 4, ipRanges: from('0.0.0.0/0') });
    expect(allows(r, { protocol: 'icmp', port: 3, icmpCode: 4, source: '127.0.0.1' })).toBe(true);
    expect(allows(r, { protocol: 'icmp', port: 3, icmpCode: 1, source: '127.0.0.1' })).toBe(false);
    const echo = rules({ ipProtocol: 'icmp', fromPort: 8, toPort: -1, ipRanges: from('0.0.0.0/0') });
    expect(allows(echo, { protocol: 'icmp', port: 8, icmpCode: 0, source: '127.0.0.1' })).toBe(true);
    expect(allows(echo, { protocol: 'icmp', port: 0, icmpCode: 0, source: '127.0.0.1' })).toBe(false);
  });

  it('any matching rule allows (rules are allow-only)', () => {
    const match = createRuleMatcher(
      rules(
        { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: from('127.5.0.0/16') },
        { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: from('127.6.0.1/32') },
      ),
    );
    expect(match({ protocol: 'tcp', port: 22, source: '127.5.1.1' })).toBe(true);
    expect(match({ protocol: 'tcp', port: 22, source: '127.6.0.1' })).toBe(true);
    expect(match({ protocol: 'tcp', port: 22, source: '127.6.0.2' })).toBe(false);
  });
});

describe('ports the edge listens on', () => {
  it('merges the TCP ranges of the rules; all traffic opens every port', () => {
    const r = rules(
      { ipProtocol: 'tcp', fromPort: 80, toPort: 80, ipRanges: from('0.0.0.0/0') },
      { ipProtocol: 'tcp', fromPort: 8000, toPort: 8100, ipRanges: from('0.0.0.0/0') },
      { ipProtocol: 'tcp', fromPort: 8050, toPort: 9000, ipRanges: from('127.0.0.1/32') },
      { ipProtocol: 'tcp', fromPort: 81, toPort: 81, ipRanges: from('0.0.0.0/0') },
      { ipProtocol: 'udp', fromPort: 53, toPort: 53, ipRanges: from('0.0.0.0/0') },
    );
    expect(tcpPortRanges(r)).toEqual([
      { from: 80, to: 81 },
      { from: 8000, to: 9000 },
    ]);
    expect(tcpPortRanges(rules({ ipProtocol: '-1', ipRanges: from('0.0.0.0/0') }))).toEqual([
      { from: 0, to: 65535 },
    ]);
    expect(tcpPortRanges([])).toEqual([]);
  });
});
