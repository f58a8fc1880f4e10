import { refusal } from '@nimbus/service-kit';
import { describe, expect, it } from 'vitest';
import { useBlockStorageUnderTest } from '../testing/block-storage-under-test.js';

const bs = useBlockStorageUnderTest({ volumeFilesystem: 'none' });

type CreateRequest = Parameters<typeof bs.client.createLifecyclePolicy>[0];

function request(overrides: Record<string, unknown> = {}): CreateRequest {
  return {
    description: 'nightly backups',
    state: 'ENABLED',
    executionRoleArn: 'arn:aws:iam::111111111111:role/AWSDataLifecycleManagerDefaultRole',
    policyDetails: {
      resourceTypes: ['VOLUME'],
      targetTags: [{ key: 'backup', value: 'nightly' }],
      schedules: [
        {
          name: 'every 12 hours',
          createRule: { interval: 12, intervalUnit: 'HOURS', times: ['03:00'] },
          retainRule: { count: 7 },
          tagsToAdd: [{ key: 'made-by', value: 'dlm' }],
          copyTags: true,
        },
      ],
    },
    ...overrides,
  } as CreateRequest;
}

const schedule = (fields: Record<string, unknown>) =>
  request({
    policyDetails: {
      resourceTypes: ['VOLUME'],
      targetTags: [{ key: 'backup', value: 'nightly' }],
      schedules: [{ name: 's', createRule: { interval: 24 }, retainRule: { count: 1 }, ...fields }],
    },
  });

describe('lifecycle policies', () => {
  it('are created, read back as given, listed with filters, updated and deleted', async () => {
    const { policyId } = await bs.client.createLifecyclePolicy(request({ tags: { team: 'storage' } }));
    expect(policyId).toMatch(/^policy-[0-9a-f]{17}$/);

    const { policy } = await bs.client.getLifecyclePolicy({ policyId });
    expect(policy?.policyArn).toBe(`arn:aws:dlm:nimbus-1:111111111111:policy/${policyId}`);
    expect(policy?.state).toBe('ENABLED');
    expect(policy?.tags).toEqual({ team: 'storage' });
    expect(policy?.policyDetails?.policyType).toBe('EBS_SNAPSHOT_MANAGEMENT');
    expect(policy?.policyDetails?.schedules[0]?.createRule).toMatchObject({
      interval: 12,
      intervalUnit: 'HOURS',
      times: ['03:00'],
    });
    expect(policy?.policyDetails?.schedules[0]?.retainRule?.count).toBe(7);

    const other = await bs.client.createLifecyclePolicy(
      request({
        description: 'weekly',
        state: 'DISABLED',
        policyDetails: {
          resourceTypes: ['VOLUME'],
          targetTags: [{ key: 'backup', value: 'weekly' }],
          schedules: [
            {
              name: 'mondays',
              createRule: { cronExpression: 'cron(0 4 ? * MON *)' },
              retainRule: { interval: 4, intervalUnit: 'WEEKS' },
            },
          ],
        },
      }),
    );
    const ids = async (filter: Record<string, unknown>) =>
      (await bs.client.getLifecyclePolicies(filter)).policies.map((p) => p.policyId).sort();
    expect(await ids({})).toEqual([policyId, other.policyId].sort());
    expect(await ids({ state: 'DISABLED' })).toEqual([other.policyId]);
    expect(await ids({ targetTags: ['backup=nightly'] })).toEqual([policyId]);
    expect(await ids({ tagsToAdd: ['made-by=dlm'] })).toEqual([policyId]);
    expect(await ids({ resourceTypes: ['INSTANCE'] })).toEqual([]);
    expect(await ids({ policyIds: [other.policyId] })).toEqual([other.policyId]);
    // Another account sees none of them.
    expect((await bs.otherAccount.getLifecyclePolicies({})).policies).toEqual([]);

    await bs.client.updateLifecyclePolicy({
      policyId: other.policyId,
      state: 'ENABLED',
      description: 'weekly now on',
    });
    const updated = (await bs.client.getLifecyclePolicy({ policyId: other.policyId })).policy;
    expect(updated?.state).toBe('ENABLED');
    expect(updated?.description).toBe('weekly now on');
    expect(updated?.policyDetails?.schedules[0]?.createRule?.cronExpression).toBe('cron(0 4 ? * MON *)');

    await bs.client.deleteLifecyclePolicy({ policyId: other.policyId });
    expect(await refusal(bs.client.getLifecyclePolicy({ policyId: other.policyId }))).toEqual({
      code: 'ResourceNotFoundException',
      message: `Lifecycle policy with ID(s) ${other.policyId} not found.`,
    });
    expect((await refusal(bs.client.deleteLifecyclePolicy({ policyId: other.policyId }))).code).toBe(
      'ResourceNotFoundException',
    );
    expect((await refusal(bs.otherAccount.getLifecyclePolicy({ policyId }))).code).toBe(
      'ResourceNotFoundException',
    );
    await bs.client.deleteLifecyclePolicy({ policyId });
  });

  it('refuse bad input with InvalidRequestException and a message naming the problem', async () => {
    const refused = async (r: CreateRequest) => {
      const { code, message } = await refusal(bs.client.createLifecyclePolicy(r));
      expect(code).toBe('InvalidRequestException');
      return message;
    };
    expect(await refused(request({ description: '' }))).toBe(
      'The request must contain the parameter Description.',
    );
    expect(await refused(request({ description: 'semi;colon' }))).toMatch(/letters, digits, spaces/);
    expect(await refused(request({ state: 'ON' }))).toBe(
      "The State 'ON' is not valid; it must be ENABLED or DISABLED.",
    );
    expect(await refused(request({ policyDetails: undefined }))).toBe(
      'The request must contain the parameter PolicyDetails.',
    );
    expect(await refused(schedule({ createRule: { interval: 5 } }))).toBe(
      "Schedule 's': the Interval 5 is not supported; it must be one of 1, 2, 3, 4, 6, 8, 12, 24 (hours).",
    );
    expect(await refused(schedule({ createRule: { interval: 24, times: ['25:00'] } }))).toBe(
      "Schedule 's': the time '25:00' is not a valid time of day (hh:mm, UTC).",
    );
    expect(
      await refused(schedule({ createRule: { interval: 24, cronExpression: 'cron(0 9 * * ? *)' } })),
    ).toMatch(/either CronExpression or Interval/);
    expect(await refused(schedule({ createRule: { cronExpression: 'cron(0 9 * * * *)' } }))).toMatch(
      /the CronExpression 'cron\(0 9 \* \* \* \*\)' is invalid: exactly one of day-of-month/,
    );
    expect(await refused(schedule({ retainRule: { count: 1001 } }))).toBe(
      "Schedule 's': the retain Count 1001 is out of range; it must be 1-1000.",
    );
    expect(await refused(schedule({ retainRule: { interval: 3, intervalUnit: 'HOURS' } }))).toMatch(
      /IntervalUnit must be one of DAYS, WEEKS, MONTHS, YEARS/,
    );
    expect(await refused(schedule({ retainRule: { count: 2, interval: 3, intervalUnit: 'DAYS' } }))).toMatch(
      /either Count or Interval/,
    );
    expect(await refused(schedule({ retainRule: undefined }))).toBe(
      "The request must contain the parameter RetainRule (schedule 's').",
    );
    expect(await refused(schedule({ tagsToAdd: [{ key: 'aws:x', value: 'y' }] }))).toMatch(/reserved/);
    expect(
      await refused(
        request({
          policyDetails: {
            resourceTypes: ['INSTANCE'],
            targetTags: [{ key: 'a', value: 'b' }],
            schedules: [],
          },
        }),
      ),
    ).toBe("The resource type 'INSTANCE' is not supported; Nimbus policies target VOLUME.");
    expect(
      await refused(
        request({
          policyDetails: { resourceTypes: ['VOLUME'], targetTags: [], schedules: [] },
        }),
      ),
    ).toBe('The request must contain the parameter PolicyDetails.TargetTags.');
    expect((await refusal(bs.client.getLifecyclePolicy({ policyId: 'nope' }))).code).toBe(
      'InvalidRequestException',
    );
    expect((await refusal(bs.client.getLifecyclePolicies({ targetTags: ['novalue'] }))).message).toBe(
      "The tag filter 'novalue' must have the form key=value.",
    );
    expect((await bs.client.getLifecyclePolicies({})).policies).toEqual([]);
  });

  it('stop at 100 per account with LimitExceededException', async () => {
    const made = await Promise.all(
      Array.from({ length: 100 }, () =>
        bs.otherAccount.createLifecyclePolicy(request({ state: 'DISABLED' })),
      ),
    );
    expect(made).toHaveLength(100);
    const { code } = await refusal(bs.otherAccount.createLifecyclePolicy(request({ state: 'DISABLED' })));
    expect(code).toBe('LimitExceededException');
    // The other account is not affected.
    const mine = await bs.client.createLifecyclePolicy(request({ state: 'DISABLED' }));
    await bs.client.deleteLifecyclePolicy({ policyId: mine.policyId });
  });
});
