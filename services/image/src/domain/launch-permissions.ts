/**
 * Who may launch an image: its owner, every account when the group `all` has
 * the permission (a public image), and the accounts it is shared with.
 */
import { ImageError, ImageErrorCode } from './image-errors.js';

export interface LaunchPermissionRecord {
  /** Whether the group "all" may launch it. */
  public: boolean;
  /** Accounts the owner shared it with, in the order they were added. */
  userIds: string[];
}

export interface Launchable {
  ownerId: string;
  launchPermission: LaunchPermissionRecord;
}

export function canLaunch(image: Launchable, accountId: string): boolean {
  return (
    image.ownerId === accountId ||
    image.launchPermission.public ||
    image.launchPermission.userIds.includes(accountId)
  );
}

const accountIdPattern = /^\d{12}$/;

export function checkLaunchPermissionUser(userId: string): void {
  if (!accountIdPattern.test(userId)) {
    throw new ImageError(
      ImageErrorCode.InvalidAmiAttributeItemValue,
      `Invalid attribute item value "${userId}" for userId item type: it must be a twelve-digit account id.`,
    );
  }
}

export function checkLaunchPermissionGroup(group: string): void {
  if (group !== 'all') {
    throw new ImageError(
      ImageErrorCode.InvalidAmiAttributeItemValue,
      `Invalid attribute item value "${group}" for group item type: the only group is "all".`,
    );
  }
}

export interface LaunchPermissionChange {
  addUsers: readonly string[];
  removeUsers: readonly string[];
  /** true: made public; false: made private; undefined: unchanged. */
  public?: boolean;
}

/** The permissions after a change; adding an account twice or removing an absent one changes nothing. */
export function applyLaunchPermissionChange(
  current: LaunchPermissionRecord,
  change: LaunchPermissionChange,
): LaunchPermissionRecord {
  const userIds = current.userIds.filter((u) => !change.removeUsers.includes(u));
  for (const u of change.addUsers) if (!userIds.includes(u)) userIds.push(u);
  return { public: change.public ?? current.public, userIds };
}
