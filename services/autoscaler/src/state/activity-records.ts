/** Scaling activities as stored: one per launch or termination. */

export type ActivityStatus =
  | 'WaitingForInstanceId'
  | 'PreInService'
  | 'InProgress'
  | 'WaitingForELBConnectionDraining'
  | 'Successful'
  | 'Failed'
  | 'Cancelled';

export interface ActivityRecord {
  activityId: string;
  accountId: string;
  groupName: string;
  groupArn: string;
  description: string;
  cause: string;
  startTime: number;
  endTime?: number;
  statusCode: ActivityStatus;
  statusMessage: string;
  progress: number;
  details: Record<string, string>;
}

export const finishedStatuses: ReadonlySet<ActivityStatus> = new Set(['Successful', 'Failed', 'Cancelled']);

/** "2026-11-24T23:10:00Z", as causes quote the time. */
export function causeTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
