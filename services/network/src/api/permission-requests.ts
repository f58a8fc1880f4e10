/**
 * The permissions of an Authorize or Revoke request as the rule functions of
 * the domain take them: the single-rule shorthand of the EC2 API turned into
 * one permission, and source groups named by name resolved to their ids in
 * the target group's VPC.
 */
import { invalidParameterValue } from '../domain/network-errors.js';
import { ResourceKinds, requireId } from '../domain/resource-ids.js';
import type { IpPermissionInput } from '../domain/security-group-rules.js';

/** The proto IpPermission, structurally. */
export interface PermissionRequest {
  ipProtocol: string;
  fromPort?: number | undefined;
  toPort?: number | undefined;
  ipRanges: ReadonlyArray<{ cidrIp: string; description: string }>;
  userIdGroupPairs: ReadonlyArray<{ groupId: string; groupName: string; description: string }>;
}

export interface ShorthandRequest {
  ipPermissions: readonly PermissionRequest[];
  ipProtocol: string;
  fromPort?: number | undefined;
  toPort?: number | undefined;
  cidrIp: string;
  sourceSecurityGroupName: string;
}

/** The request's permissions, or its shorthand fields as one permission. */
export function permissionsOf(request: ShorthandRequest): readonly PermissionRequest[] {
  if (request.ipPermissions.length > 0) return request.ipPermissions;
  if (request.cidrIp === '' && request.sourceSecurityGroupName === '') return [];
  return [
    {
      ipProtocol: request.ipProtocol || '-1',
      fromPort: request.fromPort,
      toPort: request.toPort,
      ipRanges: request.cidrIp ? [{ cidrIp: request.cidrIp, description: '' }] : [],
      userIdGroupPairs: request.sourceSecurityGroupName
        ? [{ groupId: '', groupName: request.sourceSecurityGroupName, description: '' }]
        : [],
    },
  ];
}

/** Resolves source group names with `idByName` and checks source group ids are well-formed. */
export async function resolvePermissions(
  permissions: readonly PermissionRequest[],
  idByName: (groupName: string) => Promise<string>,
): Promise<IpPermissionInput[]> {
  if (permissions.length === 0) {
    throw invalidParameterValue('The request must contain at least one IP permission.');
  }
  return Promise.all(
    permissions.map(async (p) => ({
      ipProtocol: p.ipProtocol,
      fromPort: p.fromPort,
      toPort: p.toPort,
      ipRanges: p.ipRanges.map((r) => ({ cidrIp: r.cidrIp, description: r.description })),
      userIdGroupPairs: await Promise.all(
        p.userIdGroupPairs.map(async (pair) => ({
          groupId:
            pair.groupId !== ''
              ? requireId(ResourceKinds.securityGroup, pair.groupId)
              : await idByName(pair.groupName),
          description: pair.description,
        })),
      ),
    })),
  );
}
