import { describe, expect, it } from 'vitest';
import type { SecurityGroupRule } from '../domain/security-group-rules.js';
import { compileEdgeTable, EdgeMappingError, listenerPorts } from './edge-mapping.js';

let ruleCount = 0;
function rule(
  ipProtocol: string,
  fromPort: number,
  toPort: number,
  cidrIpv4 = '127.0.0.0/8',
): SecurityGroupRule {
  ruleCount += 1;
  return {
    securityGroupRuleId: `sgr-${ruleCount.toString(16).padStart(17, '0')}`,
    isEgress: false,
    ipProtocol,
    fromPort,
    toPort,
    cidrIpv4,
  };
}

const sorted = (ports: Set<number>) => [...ports].sort((a, b) => a - b);

describe('edge listener ports', () => {
  it('listens on every port of a narrow range, whatever the instance listens on', () => {
    expect(sorted(listenerPorts([rule('tcp', 22, 22), rule('tcp', 8000, 8003)], [9999], 64))).toEqual([
      22, 8000, 8001, 8002, 8003,
    ]);
  });

  it('listens on a wide range only at the listening ports inside it', () => {
    const wide = [rule('tcp', 1000, 2000), rule('tcp', 22, 22)];
    expect(sorted(listenerPorts(wide, [80, 1500, 1999, 2001], 64))).toEqual([22, 1500, 1999]);
    expect(sorted(listenerPorts(wide, undefined, 64))).toEqual([22]);
    expect(sorted(listenerPorts([rule('-1', -1, -1)], [443, 5432], 64))).toEqual([443, 5432]);
  });

  it("listens on a narrow rule's ports even inside an all-traffic rule (the default group)", () => {
    const ports = listenerPorts([rule('-1', -1, -1), rule('tcp', 80, 80)], undefined, 64);
    expect(sorted(ports)).toEqual([80]);
    expect(sorted(listenerPorts([rule('tcp', 1, 65535), rule('tcp', 80, 80)], [5432], 64))).toEqual([
      80, 5432,
    ]);
  });

  it('counts adjacent rules as one range, and a range of exactly the threshold as narrow', () => {
    expect(listenerPorts([rule('tcp', 100, 131), rule('tcp', 132, 163)], [], 64).size).toBe(64);
    expect(sorted(listenerPorts([rule('tcp', 100, 131), rule('tcp', 132, 164)], [150], 64))).toEqual([150]);
  });

  it('never listens on port 0 and ignores udp and icmp rules', () => {
    expect(
      sorted(listenerPorts([rule('tcp', 0, 2), rule('udp', 53, 53), rule('icmp', 8, -1)], [], 64)),
    ).toEqual([1, 2]);
  });
});

describe('edge table', () => {
  it('ignores egress rules for ports and decisions', () => {
    const egress = { ...rule('tcp', 80, 80), isEgress: true };
    const table = compileEdgeTable(
      [{ publicIp: '127.64.0.5', privateIp: '127.16.0.10', rules: [egress, rule('tcp', 22, 22)] }],
      64,
    );
    const route = table.get('127.64.0.5');
    expect(sorted(new Set(route?.ports))).toEqual([22]);
    expect(route?.allows({ protocol: 6, port: 80, source: '127.0.0.1' })).toBe(false);
    expect(route?.allows({ protocol: 6, port: 22, source: '127.0.0.1' })).toBe(true);
    expect(route?.allows({ protocol: 6, port: 22, source: '10.0.0.1' })).toBe(false);
  });

  it('refuses addresses outside 127.0.0.0/8 and a public address mapped twice', () => {
    expect(() =>
      compileEdgeTable([{ publicIp: '10.0.0.5', privateIp: '127.16.0.10', rules: [] }], 64),
    ).toThrow(EdgeMappingError);
    expect(() => compileEdgeTable([{ publicIp: '127.64.0.5', privateIp: 'nope', rules: [] }], 64)).toThrow(
      EdgeMappingError,
    );
    const twice = [
      { publicIp: '127.64.0.5', privateIp: '127.16.0.10', rules: [] },
      { publicIp: '127.64.0.5', privateIp: '127.16.0.11', rules: [] },
    ];
    expect(() => compileEdgeTable(twice, 64)).toThrow(/mapped more than once/);
  });
});
