import { type Cidr, cidrContains, parseCidr, tryParseIpv4 } from './cidr.js';
import { normalizeProtocol, protocolNumber, type SecurityGroupRule } from './security-group-rules.js';

/**
 * Whether security group rules let a packet or connection through: allow rules
 * only, so any one matching rule allows. The edge asks this for each new TCP
 * connection to a public address, with the client's address as the source.
 */
export interface TrafficSource {
  /** The peer's IPv4 address. */
  address?: string;
  /** The security groups of the peer's interface, for rules that name a group. */
  groupIds?: Iterable<string>;
}

export interface TrafficQuery {
  /** `tcp`, `udp`, `icmp`, ... or a protocol number. */
  protocol: string | number;
  /** tcp/udp: destination port; icmp: type. */
  port?: number;
  /** icmp: code. */
  icmpCode?: number;
  /** An IPv4 address, or an address and/or group membership. */
  source: string | TrafficSource;
}

export type RuleMatcher = (query: TrafficQuery) => boolean;

interface CompiledRule {
  protocol: number;
  fromPort: number;
  toPort: number;
  cidr?: Cidr;
  groupId?: string;
}

function portMatches(rule: CompiledRule, protocol: number, query: TrafficQuery): boolean {
  if (rule.protocol === -1) return true;
  if (protocol === 6 || protocol === 17) {
    return query.port !== undefined && query.port >= rule.fromPort && query.port <= rule.toPort;
  }
  if (protocol === 1 || protocol === 58) {
    if (rule.fromPort === -1) return true;
    if (query.port !== rule.fromPort) return false;
    return rule.toPort === -1 || query.icmpCode === rule.toPort;
  }
  return true;
}

/** Compiles the rules once (CIDRs parsed) for a matcher called on every new connection. */
export function createRuleMatcher(rules: readonly SecurityGroupRule[]): RuleMatcher {
  const compiled: CompiledRule[] = rules.map((rule) => ({
    protocol: protocolNumber(rule.ipProtocol),
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    ...(rule.cidrIpv4 ? { cidr: parseCidr(rule.cidrIpv4) } : {}),
    ...(rule.referencedGroupId ? { groupId: rule.referencedGroupId } : {}),
  }));
  return (query) => {
    const protocol =
      typeof query.protocol === 'number' ? query.protocol : protocolNumber(normalizeProtocol(query.protocol));
    const source = typeof query.source === 'string' ? { address: query.source } : query.source;
    const address = source.address === undefined ? undefined : tryParseIpv4(source.address);
    const groups = new Set(source.groupIds ?? []);
    return compiled.some((rule) => {
      if (rule.protocol !== -1 && rule.protocol !== protocol) return false;
      if (!portMatches(rule, protocol, query)) return false;
      if (rule.cidr) return address !== undefined && cidrContains(rule.cidr, address);
      return rule.groupId !== undefined && groups.has(rule.groupId);
    });
  };
}

/** Whether any of the rules allows the traffic. */
export function allows(rules: readonly SecurityGroupRule[], query: TrafficQuery): boolean {
  return createRuleMatcher(rules)(query);
}

export interface PortRange {
  from: number;
  to: number;
}

/**
 * The TCP ports some rule opens (to any source), merged into disjoint ranges in
 * order: what the edge must listen on. An all-traffic rule opens 0-65535.
 */
export function tcpPortRanges(rules: readonly SecurityGroupRule[]): PortRange[] {
  const ranges = rules
    .filter((r) => r.ipProtocol === '-1' || r.ipProtocol === 'tcp')
    .map((r) => (r.ipProtocol === '-1' ? { from: 0, to: 65535 } : { from: r.fromPort, to: r.toPort }))
    .sort((a, b) => a.from - b.from);
  const merged: PortRange[] = [];
  for (const range of ranges) {
    const last = merged.at(-1);
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push({ ...range });
  }
  return merged;
}
