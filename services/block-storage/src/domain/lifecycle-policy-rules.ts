/**
 * What a lifecycle policy (DLM) may hold, checked as Amazon Data Lifecycle
 * Manager does, with its error codes: InvalidRequestException for bad input,
 * ResourceNotFoundException for an unknown policy, LimitExceededException
 * past the quota of policies per account.
 */
import type { PolicyDetails } from '@nimbus/api/gen/nimbus/storage/v1/lifecycle_policy_pb';
import type { StoredTag } from '@nimbus/service-kit';
import type {
  LifecyclePolicyState,
  PolicyDetailsSpec,
  RetainUnit,
  ScheduleSpec,
} from '../state/lifecycle-policy-records.js';
import { CronExpressionError, cronClock, minuteOfDay, scheduleIntervals } from './lifecycle-schedule.js';
import { StorageError } from './storage-errors.js';

export const LifecycleErrorCode = {
  InvalidRequest: 'InvalidRequestException',
  ResourceNotFound: 'ResourceNotFoundException',
  LimitExceeded: 'LimitExceededException',
} as const;

/** DLM's quota: lifecycle policies per account and region. */
export const maxPoliciesPerAccount = 100;

export function invalidRequest(message: string): StorageError {
  return new StorageError(LifecycleErrorCode.InvalidRequest, message);
}

export function policyNotFound(policyIds: readonly string[]): StorageError {
  return new StorageError(
    LifecycleErrorCode.ResourceNotFound,
    `Lifecycle policy with ID(s) ${policyIds.join(', ')} not found.`,
  );
}

export function policyLimitExceeded(): StorageError {
  return new StorageError(
    LifecycleErrorCode.LimitExceeded,
    `The account has reached its limit of ${maxPoliciesPerAccount} lifecycle policies.`,
  );
}

const missing = (name: string) => invalidRequest(`The request must contain the parameter ${name}.`);

export function checkPolicyId(policyId: string): void {
  if (policyId === '') throw missing('PolicyId');
  if (!/^policy-[0-9a-f]{1,32}$/.test(policyId)) {
    throw invalidRequest(
      `The policy ID '${policyId}' is malformed: it must be "policy-" and hexadecimal digits.`,
    );
  }
}

export function checkDescription(description: string): string {
  if (description === '') throw missing('Description');
  if (description.length > 500 || !/^[0-9A-Za-z _-]+$/.test(description)) {
    throw invalidRequest(
      'The Description must be 1-500 characters of letters, digits, spaces, underscores and hyphens.',
    );
  }
  return description;
}

export function checkState(state: string): LifecyclePolicyState {
  if (state === '') throw missing('State');
  if (state !== 'ENABLED' && state !== 'DISABLED') {
    throw invalidRequest(`The State '${state}' is not valid; it must be ENABLED or DISABLED.`);
  }
  return state;
}

export function checkExecutionRoleArn(arn: string): string {
  if (arn.length > 2048) throw invalidRequest('The ExecutionRoleArn must be at most 2048 characters.');
  return arn;
}

function checkTags(tags: readonly { key: string; value: string }[], what: string, max: number): StoredTag[] {
  if (tags.length > max) throw invalidRequest(`${what} can hold at most ${max} tags.`);
  return tags.map(({ key, value }) => {
    if (key === '' || key.length > 128 || value.length > 256) {
      throw invalidRequest(
        `${what}: a tag key must be 1-128 characters and its value at most 256 ('${key}').`,
      );
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw invalidRequest(`${what}: tag keys starting with 'aws:' are reserved ('${key}').`);
    }
    return { key, value };
  });
}

const retainUnits: readonly RetainUnit[] = ['DAYS', 'WEEKS', 'MONTHS', 'YEARS'];

function checkSchedule(schedule: PolicyDetails['schedules'][number]): ScheduleSpec {
  const name = schedule.name;
  if (name === '') throw missing('Schedules.Name');
  if (name.length > 120) throw invalidRequest(`The schedule name '${name}' is longer than 120 characters.`);
  const create = schedule.createRule;
  if (!create) throw missing(`CreateRule (schedule '${name}')`);
  if (create.location !== '' && create.location !== 'CLOUD') {
    throw invalidRequest(
      `Nimbus keeps snapshots in the region only: Location must be CLOUD, not '${create.location}'.`,
    );
  }
  let createRule: ScheduleSpec['createRule'];
  if (create.cronExpression !== '') {
    if (create.interval !== 0 || create.intervalUnit !== '' || create.times.length > 0) {
      throw invalidRequest(
        `Schedule '${name}': a CreateRule takes either CronExpression or Interval (with IntervalUnit and Times), not both.`,
      );
    }
    try {
      cronClock(create.cronExpression);
    } catch (error) {
      if (!(error instanceof CronExpressionError)) throw error;
      throw invalidRequest(
        `Schedule '${name}': the CronExpression '${create.cronExpression}' is invalid: ${error.message}.`,
      );
    }
    createRule = { cronExpression: create.cronExpression };
  } else {
    if (create.interval === 0) {
      throw invalidRequest(`Schedule '${name}': a CreateRule needs either an Interval or a CronExpression.`);
    }
    if (!(scheduleIntervals as readonly number[]).includes(create.interval)) {
      throw invalidRequest(
        `Schedule '${name}': the Interval ${create.interval} is not supported; it must be one of ${scheduleIntervals.join(', ')} (hours).`,
      );
    }
    if (create.intervalUnit !== '' && create.intervalUnit !== 'HOURS') {
      throw invalidRequest(
        `Schedule '${name}': the IntervalUnit must be HOURS, not '${create.intervalUnit}'.`,
      );
    }
    if (create.times.length > 1) throw invalidRequest(`Schedule '${name}': Times holds at most one time.`);
    for (const time of create.times) {
      if (minuteOfDay(time) === undefined) {
        throw invalidRequest(
          `Schedule '${name}': the time '${time}' is not a valid time of day (hh:mm, UTC).`,
        );
      }
    }
    createRule = { interval: create.interval, times: [...create.times] };
  }
  const retain = schedule.retainRule;
  if (!retain) throw missing(`RetainRule (schedule '${name}')`);
  let retainRule: ScheduleSpec['retainRule'];
  if (retain.count !== 0) {
    if (retain.interval !== 0 || retain.intervalUnit !== '') {
      throw invalidRequest(
        `Schedule '${name}': a RetainRule takes either Count or Interval and IntervalUnit, not both.`,
      );
    }
    if (retain.count < 1 || retain.count > 1000) {
      throw invalidRequest(
        `Schedule '${name}': the retain Count ${retain.count} is out of range; it must be 1-1000.`,
      );
    }
    retainRule = { count: retain.count };
  } else {
    if (retain.interval === 0) {
      throw invalidRequest(
        `Schedule '${name}': a RetainRule needs either a Count or an Interval and IntervalUnit.`,
      );
    }
    if (retain.interval < 1) {
      throw invalidRequest(`Schedule '${name}': the retain Interval must be at least 1.`);
    }
    const unit = retain.intervalUnit as RetainUnit;
    if (!retainUnits.includes(unit)) {
      throw invalidRequest(
        `Schedule '${name}': the retain IntervalUnit must be one of ${retainUnits.join(', ')}, not '${retain.intervalUnit}'.`,
      );
    }
    retainRule = { interval: retain.interval, intervalUnit: unit };
  }
  return {
    name,
    copyTags: schedule.copyTags,
    tagsToAdd: checkTags(schedule.tagsToAdd, `Schedule '${name}' TagsToAdd`, 45),
    createRule,
    retainRule,
  };
}

export function checkPolicyDetails(details: PolicyDetails | undefined): PolicyDetailsSpec {
  if (!details) throw missing('PolicyDetails');
  if (details.policyType !== '' && details.policyType !== 'EBS_SNAPSHOT_MANAGEMENT') {
    throw invalidRequest(`Nimbus runs EBS_SNAPSHOT_MANAGEMENT policies only, not '${details.policyType}'.`);
  }
  if (details.resourceTypes.length === 0) throw missing('PolicyDetails.ResourceTypes');
  for (const type of details.resourceTypes) {
    if (type !== 'VOLUME') {
      throw invalidRequest(`The resource type '${type}' is not supported; Nimbus policies target VOLUME.`);
    }
  }
  if (details.targetTags.length === 0) throw missing('PolicyDetails.TargetTags');
  const targetTags = checkTags(details.targetTags, 'TargetTags', 50);
  if (details.schedules.length === 0) throw missing('PolicyDetails.Schedules');
  if (details.schedules.length > 4) throw invalidRequest('A policy holds at most 4 schedules.');
  const schedules = details.schedules.map(checkSchedule);
  const names = new Set(schedules.map((s) => s.name));
  if (names.size !== schedules.length) throw invalidRequest('The schedule names of a policy must be unique.');
  return { policyType: 'EBS_SNAPSHOT_MANAGEMENT', resourceTypes: ['VOLUME'], targetTags, schedules };
}

/** Tags of the policy itself (DLM: up to 45, no "aws:" keys). */
export function checkPolicyTags(tags: Record<string, string>): Record<string, string> {
  const checked = checkTags(
    Object.entries(tags).map(([key, value]) => ({ key, value })),
    'Tags',
    45,
  );
  return Object.fromEntries(checked.map((t) => [t.key, t.value]));
}
