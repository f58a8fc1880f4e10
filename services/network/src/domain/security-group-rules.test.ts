import { codeOf } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { isId } from './ids.js';
import {
  authorizeRules,
  defaultEgressRule,
  defaultGroupIngressRule,
  expandPermissions,
  type IpPermissionInput,
  normalizeProtocol,
  revokeRules,
  type SecurityGroupRule,
} from './security-group-rules.js';

const ssh: IpPermissionInput = {
  ipProtocol: 'tcp',
  fromPort: 22,
  toPort: 22,
  ipRanges: [{ cidrIp: '127.0.0.0/8' }],
};

describe('protocols and ports', () => {
  it('names protocols as EC2 shows them', () => {
    expect(normalizeProtocol('6')).toBe('tcp');
    expect(normalizeProtocol('17')).toBe('udp');
    expect(normalizeProtocol('1')).toBe('icmp');
    expect(normalizeProtocol('58')).toBe('icmpv6');
    expect(normalizeProtocol('TCP')).toBe('tcp');
    expect(normalizeProtocol('all')).toBe('-1');
    expect(normalizeProtocol('47')).toBe('47');
    for (const bad of ['256', 'sctp-ish', '', '06']) {
      expect(
        codeOf(() => normalizeProtocol(bad)),
        bad,
      ).toBe('InvalidParameterValue');
    }
  });

  it('drops ports for all-traffic and other protocols, keeps icmp type and code', () => {
    const [all, gre, icmp] = expandPermissions(
      [
        { ipProtocol: '-1', fromPort: 80, toPort: 80, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
        { ipProtocol: '47', fromPort: 1, toPort: 2, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
        { ipProtocol: 'icmp', fromPort: 8, toPort: -1, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
      ],
      'ingress',
    );
    expect(all).toMatchObject({ ipProtocol: '-1', fromPort: -1, toPort: -1 });
    expect(gre).toMatchObject({ ipProtocol: '47', fromPort: -1, toPort: -1 });
    expect(icmp).toMatchObject({ ipProtocol: 'icmp', fromPort: 8, toPort: -1 });
  });

  it('refuses bad port ranges, icmp codes, CIDRs, descriptions and empty sources', () => {
    const cases: IpPermissionInput[] = [
      { ipProtocol: 'tcp', fromPort: 22, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
      { ipProtocol: 'tcp', fromPort: 90, toPort: 80, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
      { ipProtocol: 'udp', fromPort: 0, toPort: 65536, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
      { ipProtocol: 'icmp', fromPort: -1, toPort: 3, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
      { ipProtocol: 'icmp', fromPort: 256, toPort: -1, ipRanges: [{ cidrIp: '0.0.0.0/0' }] },
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: '10.0.0.1/16' }] },
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: [{ cidrIp: 'nope' }] },
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        ipRanges: [{ cidrIp: '0.0.0.0/0', description: 'bad <>' }],
      },
      {
        ipProtocol: 'tcp',
        fromPort: 22,
        toPort: 22,
        ipRanges: [{ cidrIp: '0.0.0.0/0', description: 'x'.repeat(256) }],
      },
      { ipProtocol: 'tcp', fromPort: 22, toPort: 22 },
    ];
    for (const permission of cases) {
      expect(
        codeOf(() => expandPermissions([permission], 'ingress')),
        JSON.stringify(permission),
      ).toBe('InvalidParameterValue');
    }
  });

  it('makes one rule per source', () => {
    const rules = expandPermissions(
      [
        {
          ipProtocol: 'tcp',
          fromPort: 80,
          toPort: 443,
          ipRanges: [{ cidrIp: '127.0.0.0/8', description: 'web (loopback)' }, { cidrIp: '10.0.0.0/8' }],
          userIdGroupPairs: [{ groupId: 'sg-0123456789abcdef0' }],
        },
      ],
      'egress',
    );
    expect(rules).toEqual([
      {
        isEgress: true,
        ipProtocol: 'tcp',
        fromPort: 80,
        toPort: 443,
        cidrIpv4: '127.0.0.0/8',
        description: 'web (loopback)',
      },
      { isEgress: true, ipProtocol: 'tcp', fromPort: 80, toPort: 443, cidrIpv4: '10.0.0.0/8' },
      {
        isEgress: true,
        ipProtocol: 'tcp',
        fromPort: 80,
        toPort: 443,
        referencedGroupId: 'sg-0123456789abcdef0',
      },
    ]);
  });
});

describe('authorize and revoke', () => {
  it('gives each new rule an sgr- id', () => {
    const [rule] = authorizeRules([], [ssh], 'ingress');
    expect(isId('sgr', rule?.securityGroupRuleId ?? '')).toBe(true);
    expect(rule).toMatchObject({
      isEgress: false,
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrIpv4: '127.0.0.0/8',
    });
  });

  it('refuses a rule that exists (whatever its description, or as a protocol number) with InvalidPermission.Duplicate', () => {
    const existing = authorizeRules([], [ssh], 'ingress');
    const again = {
      ...ssh,
      ipProtocol: '6',
      ipRanges: [{ cidrIp: '127.0.0.0/8', description: 'other words' }],
    };
    expect(() => authorizeRules(existing, [again], 'ingress')).toThrow(
      'the specified rule "peer: 127.0.0.0/8, TCP, from port: 22, to port: 22, ALLOW" already exists',
    );
    expect(codeOf(() => authorizeRules(existing, [again], 'ingress'))).toBe('InvalidPermission.Duplicate');
    expect(codeOf(() => authorizeRules([], [ssh, ssh], 'ingress'))).toBe('InvalidPermission.Duplicate');
    // The same rule in the other direction is another rule.
    expect(authorizeRules(existing, [ssh], 'egress')).toHaveLength(1);
  });

  it('allows 60 rules per direction and refuses the 61st with RulesPerSecurityGroupLimitExceeded', () => {
    const port = (p: number): IpPermissionInput => ({
      ipProtocol: 'tcp',
      fromPort: p,
      toPort: p,
      ipRanges: [{ cidrIp: '0.0.0.0/0' }],
    });
    const sixty = authorizeRules(
      [],
      Array.from({ length: 60 }, (_, i) => port(1000 + i)),
      'ingress',
    );
    expect(sixty).toHaveLength(60);
    expect(codeOf(() => authorizeRules(sixty, [port(2000)], 'ingress'))).toBe(
      'RulesPerSecurityGroupLimitExceeded',
    );
    expect(authorizeRules([...sixty, defaultEgressRule()], [port(2000)], 'egress')).toHaveLength(1);
    expect(
      codeOf(() =>
        authorizeRules(
          [],
          Array.from({ length: 61 }, (_, i) => port(i + 1)),
          'egress',
        ),
      ),
    ).toBe('RulesPerSecurityGroupLimitExceeded');
  });

  it('revokes by permission or id, reports unknown ones, and refuses when nothing matches', () => {
    const web = { ipProtocol: 'tcp', fromPort: 80, toPort: 80, ipRanges: [{ cidrIp: '0.0.0.0/0' }] };
    const rules: SecurityGroupRule[] = [...authorizeRules([], [ssh, web], 'ingress'), defaultEgressRule()];
    const mysql = { ipProtocol: 'tcp', fromPort: 3306, toPort: 3306, ipRanges: [{ cidrIp: '0.0.0.0/0' }] };

    const result = revokeRules(rules, { permissions: [{ ...ssh, ipProtocol: '6' }, mysql] }, 'ingress');
    expect(result.revoked.map((r) => r.fromPort)).toEqual([22]);
    expect(result.remaining.map((r) => r.fromPort)).toEqual([80, -1]);
    expect(result.unknown).toMatchObject([{ fromPort: 3306 }]);

    const webId = rules[1]?.securityGroupRuleId as string;
    expect(revokeRules(rules, { ruleIds: [webId] }, 'ingress').revoked.map((r) => r.fromPort)).toEqual([80]);

    expect(codeOf(() => revokeRules(rules, { permissions: [mysql] }, 'ingress'))).toBe(
      'InvalidPermission.NotFound',
    );
    expect(codeOf(() => revokeRules(rules, { permissions: [ssh] }, 'egress'))).toBe(
      'InvalidPermission.NotFound',
    );
    expect(codeOf(() => revokeRules(rules, { ruleIds: ['sgr-00000000000000000'] }, 'ingress'))).toBe(
      'InvalidSecurityGroupRuleId.NotFound',
    );
    expect(codeOf(() => revokeRules(rules, { ruleIds: [webId] }, 'egress'))).toBe(
      'InvalidSecurityGroupRuleId.NotFound',
    );
  });

  it('gives new groups all outbound traffic, and the default group inbound traffic from itself', () => {
    expect(defaultEgressRule()).toMatchObject({ isEgress: true, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0' });
    expect(defaultGroupIngressRule('sg-0123456789abcdef0')).toMatchObject({
      isEgress: false,
      ipProtocol: '-1',
      referencedGroupId: 'sg-0123456789abcdef0',
    });
  });
});
