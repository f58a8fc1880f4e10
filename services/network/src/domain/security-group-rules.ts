import { formatCidr, parseCidr } from './cidr.js';
import { newId } from './ids.js';
import { invalidParameterValue, NetworkError, NetworkErrorCode } from './network-errors.js';

/**
 * Security group rules as EC2 keeps them: one protocol, one port range and one
 * source (a CIDR or a group) per rule, each with its own `sgr-` id. Requests
 * arrive as IpPermissions (one protocol and ports, several sources) and are
 * normalised here: protocol numbers become names (`6` → `tcp`), ports that do
 * not apply become -1, CIDRs are checked.
 */
export type RuleDirection = 'ingress' | 'egress';

export interface SecurityGroupRule {
  securityGroupRuleId: string;
  isEgress: boolean;
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all), or another protocol number as text. */
  ipProtocol: string;
  /** tcp/udp: port range; icmp/icmpv6: type and code; -1 when not applicable. */
  fromPort: number;
  toPort: number;
  /** Exactly one of `cidrIpv4` and `referencedGroupId`. */
  cidrIpv4?: string;
  referencedGroupId?: string;
  description?: string;
}

/** What AuthorizeSecurityGroupIngress takes; the generated proto IpPermission fits it. */
export interface IpPermissionInput {
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  ipRanges?: ReadonlyArray<{ cidrIp: string; description?: string }>;
  userIdGroupPairs?: ReadonlyArray<{ groupId: string; description?: string }>;
}

/** EC2: 60 inbound and 60 outbound rules per group. */
export const defaultRulesPerGroupLimit = 60;

const protocolNames: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6' };
const protocolNumbers: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

/** The protocol as EC2 shows it: `tcp`, `udp`, `icmp`, `icmpv6`, `-1`, or a number 0-255 as text. */
export function normalizeProtocol(value: string): string {
  const lower = value.trim().toLowerCase();
  if (lower === '-1' || lower === 'all') return '-1';
  if (lower in protocolNumbers) return lower;
  if (/^(0|[1-9][0-9]{0,2})$/.test(lower) && Number(lower) <= 255) return protocolNames[lower] ?? lower;
  throw invalidParameterValue(`Invalid value '${value}' for IP protocol. Unknown protocol.`);
}

/** The IANA number of a normalised protocol; -1 for all. */
export function protocolNumber(protocol: string): number {
  return protocolNumbers[protocol] ?? Number(protocol);
}

function validPortRange(
  protocol: string,
  fromPort?: number,
  toPort?: number,
): { fromPort: number; toPort: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (fromPort === undefined || toPort === undefined) {
      throw invalidParameterValue(
        `Invalid value for portRange. Must specify both from and to ports with TCP/UDP.`,
      );
    }
    if (fromPort < 0 || toPort > 65535 || fromPort > toPort) {
      throw invalidParameterValue(
        `Invalid port range ${fromPort}-${toPort}: ports are 0-65535 and from <= to.`,
      );
    }
    return { fromPort, toPort };
  }
  if (protocol === 'icmp' || protocol === 'icmpv6') {
    const type = fromPort ?? -1;
    const code = toPort ?? -1;
    if (type < -1 || type > 255 || code < -1 || code > 255 || (type === -1 && code !== -1)) {
      throw invalidParameterValue(`Invalid ICMP type ${type} and code ${code}.`);
    }
    return { fromPort: type, toPort: code };
  }
  // -1 and other protocol numbers: every port, whatever the request said.
  return { fromPort: -1, toPort: -1 };
}

const descriptionPattern = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;

export function validateRuleDescription(description: string | undefined): string | undefined {
  if (!description) return undefined;
  if (description.length > 255 || !descriptionPattern.test(description)) {
    throw invalidParameterValue(
      `Invalid rule description. Valid descriptions are strings less than 256 characters from the following set: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`,
    );
  }
  return description;
}

function validCidr(cidrIp: string): string {
  try {
    return formatCidr(parseCidr(cidrIp));
  } catch {
    throw invalidParameterValue(`CIDR block ${cidrIp} is malformed`);
  }
}

/** One rule per source of each permission, validated and normalised, without ids yet. */
export function expandPermissions(
  permissions: readonly IpPermissionInput[],
  direction: RuleDirection,
): Omit<SecurityGroupRule, 'securityGroupRuleId'>[] {
  const rules: Omit<SecurityGroupRule, 'securityGroupRuleId'>[] = [];
  for (const permission of permissions) {
    const ipProtocol = normalizeProtocol(permission.ipProtocol);
    const ports = validPortRange(ipProtocol, permission.fromPort, permission.toPort);
    const base = { isEgress: direction === 'egress', ipProtocol, ...ports };
    const ranges = permission.ipRanges ?? [];
    const pairs = permission.userIdGroupPairs ?? [];
    if (ranges.length === 0 && pairs.length === 0) {
      throw invalidParameterValue('Each IP permission needs at least one IP range or security group.');
    }
    for (const range of ranges) {
      const description = validateRuleDescription(range.description);
      rules.push({ ...base, cidrIpv4: validCidr(range.cidrIp), ...(description ? { description } : {}) });
    }
    for (const pair of pairs) {
      if (!pair.groupId) throw invalidParameterValue('A security group source needs a group id.');
      const description = validateRuleDescription(pair.description);
      rules.push({ ...base, referencedGroupId: pair.groupId, ...(description ? { description } : {}) });
    }
  }
  return rules;
}

/** What makes two rules the same rule (the description does not). */
export function ruleIdentity(rule: Omit<SecurityGroupRule, 'securityGroupRuleId'>): string {
  const source = rule.cidrIpv4 ?? `group:${rule.referencedGroupId}`;
  return [rule.isEgress ? 'egress' : 'ingress', rule.ipProtocol, rule.fromPort, rule.toPort, source].join(
    '|',
  );
}

/** EC2's wording of a rule in error messages. */
export function describeRule(rule: Omit<SecurityGroupRule, 'securityGroupRuleId'>): string {
  const peer = rule.cidrIpv4 ?? rule.referencedGroupId;
  const protocol = rule.ipProtocol === '-1' ? 'ALL' : rule.ipProtocol.toUpperCase();
  return `peer: ${peer}, ${protocol}, from port: ${rule.fromPort}, to port: ${rule.toPort}, ALLOW`;
}

export interface AuthorizeOptions {
  limit?: number;
  newRuleId?: () => string;
}

/**
 * The rules to add for an Authorize call on a group whose rules of that
 * direction are `existing`. All or nothing: any rule that exists already (or
 * twice in the request) is `InvalidPermission.Duplicate`, going past the limit
 * is `RulesPerSecurityGroupLimitExceeded`.
 */
export function authorizeRules(
  existing: readonly SecurityGroupRule[],
  permissions: readonly IpPermissionInput[],
  direction: RuleDirection,
  options: AuthorizeOptions = {},
): SecurityGroupRule[] {
  const wanted = expandPermissions(permissions, direction);
  const seen = new Set(existing.filter((r) => r.isEgress === (direction === 'egress')).map(ruleIdentity));
  for (const rule of wanted) {
    const identity = ruleIdentity(rule);
    if (seen.has(identity)) {
      throw new NetworkError(
        NetworkErrorCode.InvalidPermissionDuplicate,
        `the specified rule "${describeRule(rule)}" already exists`,
      );
    }
    seen.add(identity);
  }
  const limit = options.limit ?? defaultRulesPerGroupLimit;
  if (seen.size > limit) {
    throw new NetworkError(
      NetworkErrorCode.RulesPerSecurityGroupLimitExceeded,
      'The maximum number of rules per security group has been reached.',
    );
  }
  const newRuleId = options.newRuleId ?? (() => newId('sgr'));
  return wanted.map((rule) => ({ securityGroupRuleId: newRuleId(), ...rule }));
}

export interface RevokeResult {
  /** The group's rules of every direction after the revoke. */
  remaining: SecurityGroupRule[];
  revoked: SecurityGroupRule[];
  /** Requested rules that matched nothing (EC2's UnknownIpPermissions). */
  unknown: Omit<SecurityGroupRule, 'securityGroupRuleId'>[];
}

/**
 * Removes rules by permission or by id. As EC2: when nothing requested matches,
 * `InvalidPermission.NotFound`; when some match, those go and the rest are
 * reported as unknown. An unknown rule id is `InvalidSecurityGroupRuleId.NotFound`.
 */
export function revokeRules(
  rules: readonly SecurityGroupRule[],
  request: { permissions?: readonly IpPermissionInput[]; ruleIds?: readonly string[] },
  direction: RuleDirection,
): RevokeResult {
  const egress = direction === 'egress';
  const byIdentity = new Map(rules.filter((r) => r.isEgress === egress).map((r) => [ruleIdentity(r), r]));
  const toRevoke = new Set<string>();
  const unknown: Omit<SecurityGroupRule, 'securityGroupRuleId'>[] = [];
  for (const rule of expandPermissions(request.permissions ?? [], direction)) {
    const match = byIdentity.get(ruleIdentity(rule));
    if (match) toRevoke.add(match.securityGroupRuleId);
    else unknown.push(rule);
  }
  for (const id of request.ruleIds ?? []) {
    const match = rules.find((r) => r.securityGroupRuleId === id && r.isEgress === egress);
    if (!match) {
      throw new NetworkError(
        NetworkErrorCode.InvalidSecurityGroupRuleIdNotFound,
        `The security group rule ID '${id}' does not exist`,
      );
    }
    toRevoke.add(id);
  }
  if (toRevoke.size === 0) {
    throw new NetworkError(
      NetworkErrorCode.InvalidPermissionNotFound,
      'The specified rule does not exist in this security group.',
    );
  }
  return {
    remaining: rules.filter((r) => !toRevoke.has(r.securityGroupRuleId)),
    revoked: rules.filter((r) => toRevoke.has(r.securityGroupRuleId)),
    unknown,
  };
}

/** A new group's one rule: all traffic out to anywhere. */
export function defaultEgressRule(newRuleId: () => string = () => newId('sgr')): SecurityGroupRule {
  return {
    securityGroupRuleId: newRuleId(),
    isEgress: true,
    ipProtocol: '-1',
    fromPort: -1,
    toPort: -1,
    cidrIpv4: '0.0.0.0/0',
  };
}

/** The default group's inbound rule: all traffic from members of the group itself. */
export function defaultGroupIngressRule(
  groupId: string,
  newRuleId: () => string = () => newId('sgr'),
): SecurityGroupRule {
  return {
    securityGroupRuleId: newRuleId(),
    isEgress: false,
    ipProtocol: '-1',
    fromPort: -1,
    toPort: -1,
    referencedGroupId: groupId,
  };
}
