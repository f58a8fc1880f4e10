/**
 * Security groups and their rules as the API shows them. A group lists its
 * rules as EC2's IpPermissions: rules of one protocol and port range are one
 * permission with several sources.
 */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  IpPermissionSchema,
  SecurityGroupRuleSchema,
  SecurityGroupSchema,
} from '@nimbus/api/gen/nimbus/network/v1/security_group_pb';
import type { FilterFields } from '@nimbus/service-kit';
import { toTags } from '@nimbus/service-kit';
import type { SecurityGroupRecord, StoredRule } from '../state/vpc-records.js';

type IpPermissionInit = MessageInitShape<typeof IpPermissionSchema>;

export interface RuleOfGroup {
  group: SecurityGroupRecord;
  rule: StoredRule;
}

interface Permission {
  ipProtocol: string;
  ports: { fromPort?: number; toPort?: number };
  ipRanges: { cidrIp: string; description: string }[];
  userIdGroupPairs: { groupId: string; userId: string; description: string }[];
}

/** Rules as IpPermissions; ports are left out where they do not apply (protocol -1). */
export function toIpPermissions(
  rules: ReadonlyArray<Omit<StoredRule, 'securityGroupRuleId'>>,
  ownerId: string,
): IpPermissionInit[] {
  const byKey = new Map<string, Permission>();
  for (const rule of rules) {
    const key = `${rule.ipProtocol}|${rule.fromPort}|${rule.toPort}`;
    const permission = byKey.get(key) ?? {
      ipProtocol: rule.ipProtocol,
      ports: rule.ipProtocol === '-1' ? {} : { fromPort: rule.fromPort, toPort: rule.toPort },
      ipRanges: [],
      userIdGroupPairs: [],
    };
    byKey.set(key, permission);
    const description = rule.description ?? '';
    if (rule.cidrIpv4 !== undefined) permission.ipRanges.push({ cidrIp: rule.cidrIpv4, description });
    if (rule.referencedGroupId !== undefined) {
      permission.userIdGroupPairs.push({ groupId: rule.referencedGroupId, userId: ownerId, description });
    }
  }
  return [...byKey.values()].map((p) => ({
    ipProtocol: p.ipProtocol,
    ...p.ports,
    ipRanges: p.ipRanges,
    userIdGroupPairs: p.userIdGroupPairs,
  }));
}

export function toSecurityGroup(group: SecurityGroupRecord): MessageInitShape<typeof SecurityGroupSchema> {
  return {
    groupId: group.groupId,
    groupName: group.groupName,
    description: group.description,
    vpcId: group.vpcId,
    ownerId: group.ownerId,
    ipPermissions: toIpPermissions(
      group.rules.filter((r) => !r.isEgress),
      group.ownerId,
    ),
    ipPermissionsEgress: toIpPermissions(
      group.rules.filter((r) => r.isEgress),
      group.ownerId,
    ),
    tags: toTags(group.tags),
  };
}

export function toSecurityGroupRule({
  group,
  rule,
}: RuleOfGroup): MessageInitShape<typeof SecurityGroupRuleSchema> {
  return {
    securityGroupRuleId: rule.securityGroupRuleId,
    groupId: group.groupId,
    groupOwnerId: group.ownerId,
    isEgress: rule.isEgress,
    ipProtocol: rule.ipProtocol,
    fromPort: rule.fromPort,
    toPort: rule.toPort,
    cidrIpv4: rule.cidrIpv4 ?? '',
    ...(rule.referencedGroupId === undefined
      ? {}
      : { referencedGroupInfo: { groupId: rule.referencedGroupId, userId: group.ownerId } }),
    description: rule.description ?? '',
    tags: toTags(rule.tags ?? []),
  };
}

const rulesOf = (group: SecurityGroupRecord, egress: boolean) =>
  group.rules.filter((r) => r.isEgress === egress);

function permissionFields(prefix: string, egress: boolean): FilterFields<SecurityGroupRecord> {
  return {
    [`${prefix}.protocol`]: (g) => rulesOf(g, egress).map((r) => r.ipProtocol),
    [`${prefix}.from-port`]: (g) => rulesOf(g, egress).map((r) => r.fromPort),
    [`${prefix}.to-port`]: (g) => rulesOf(g, egress).map((r) => r.toPort),
    [`${prefix}.cidr`]: (g) => rulesOf(g, egress).flatMap((r) => (r.cidrIpv4 ? [r.cidrIpv4] : [])),
    [`${prefix}.group-id`]: (g) =>
      rulesOf(g, egress).flatMap((r) => (r.referencedGroupId ? [r.referencedGroupId] : [])),
  };
}

export const securityGroupFilterFields: FilterFields<SecurityGroupRecord> = {
  'group-id': (g) => g.groupId,
  'group-name': (g) => g.groupName,
  description: (g) => g.description,
  'vpc-id': (g) => g.vpcId,
  'owner-id': (g) => g.ownerId,
  ...permissionFields('ip-permission', false),
  ...permissionFields('egress.ip-permission', true),
};

export const securityGroupRuleFilterFields: FilterFields<RuleOfGroup> = {
  'group-id': ({ group }) => group.groupId,
  'security-group-rule-id': ({ rule }) => rule.securityGroupRuleId,
};
