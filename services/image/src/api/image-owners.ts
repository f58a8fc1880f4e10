/**
 * DescribeImages' Owners and ExecutableUsers. Owners: "self", the alias
 * "nimbus" (the provided images) or account ids; an image passes when its
 * owner is any of them. ExecutableUsers: images with an explicit launch
 * permission for any of the users, where "all" means public and "self" the
 * caller (an image the caller owns has no explicit permission for it).
 */
import { invalidParameterValue } from '../domain/image-errors.js';
import { nimbusOwnerAlias, nimbusOwnerId } from '../domain/nimbus-owner.js';
import type { ImageRecord } from '../state/image-records.js';

const accountIdPattern = /^\d{12}$/;

export function ownersMatcher(
  owners: readonly string[],
  executableUsers: readonly string[],
  accountId: string,
): (image: ImageRecord) => boolean {
  const ownerIds = owners.map((owner) => {
    if (owner === 'self') return accountId;
    if (owner === nimbusOwnerAlias) return nimbusOwnerId;
    if (accountIdPattern.test(owner)) return owner;
    throw invalidParameterValue(
      `Invalid value '${owner}' for Owner: expected self, ${nimbusOwnerAlias} or a twelve-digit account id.`,
    );
  });
  const users = executableUsers.map((user) => {
    if (user === 'self') return accountId;
    if (user === 'all' || accountIdPattern.test(user)) return user;
    throw invalidParameterValue(
      `Invalid value '${user}' for ExecutableBy: expected self, all or a twelve-digit account id.`,
    );
  });
  return (image) =>
    (ownerIds.length === 0 || ownerIds.includes(image.ownerId)) &&
    (users.length === 0 ||
      users.some((user) =>
        user === 'all' ? image.launchPermission.public : image.launchPermission.userIds.includes(user),
      ));
}
