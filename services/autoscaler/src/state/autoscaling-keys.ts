/**
 * Where the autoscaler keeps its records, all under /nimbus/autoscaling/:
 * launch templates by account and id, their names (one key each, so that a
 * name is taken in the same transaction that makes the template), their
 * versions, groups by account and name, and activities by account, group and
 * start time (newest first in key order).
 */
const root = '/nimbus/autoscaling';

/** Versions sort by key when padded. */
const padVersion = (n: number) => String(n).padStart(10, '0');
/** Newest first: the key holds the time left until a far epoch. */
const newestFirst = (ms: number) => String(9_999_999_999_999 - ms).padStart(13, '0');

export const autoscalingKeys = {
  templates: (accountId: string) => `${root}/launch-templates/${accountId}/`,
  template: (accountId: string, id: string) => `${root}/launch-templates/${accountId}/${id}`,
  templateName: (accountId: string, name: string) => `${root}/launch-template-names/${accountId}/${name}`,
  versions: (accountId: string, id: string) => `${root}/launch-template-versions/${accountId}/${id}/`,
  version: (accountId: string, id: string, version: number) =>
    `${root}/launch-template-versions/${accountId}/${id}/${padVersion(version)}`,
  templateToken: (accountId: string, token: string) => `${root}/launch-template-tokens/${accountId}/${token}`,
  launchConfigurations: (accountId: string) => `${root}/launch-configurations/${accountId}/`,
  launchConfiguration: (accountId: string, name: string) =>
    `${root}/launch-configurations/${accountId}/${name}`,
  allGroups: () => `${root}/groups/`,
  groups: (accountId: string) => `${root}/groups/${accountId}/`,
  group: (accountId: string, name: string) => `${root}/groups/${accountId}/${name}`,
  activities: (accountId: string) => `${root}/activities/${accountId}/`,
  groupActivities: (accountId: string, groupName: string) => `${root}/activities/${accountId}/${groupName}/`,
  activity: (accountId: string, groupName: string, startMs: number, activityId: string) =>
    `${root}/activities/${accountId}/${groupName}/${newestFirst(startMs)}-${activityId}`,
};

/** The account and name of a group key, or undefined for another key. */
export function parseGroupKey(key: string): { accountId: string; name: string } | undefined {
  const rest = key.startsWith(autoscalingKeys.allGroups())
    ? key.slice(autoscalingKeys.allGroups().length)
    : '';
  const slash = rest.indexOf('/');
  if (slash !== 12) return undefined;
  return { accountId: rest.slice(0, slash), name: rest.slice(slash + 1) };
}
