import { describe, expect, it } from 'vitest';
import { CronExpressionError, cronClock, intervalClock, minuteOfDay } from './lifecycle-schedule.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('interval schedules', () => {
  it('lay every N hours on a grid from the start time, every day alike', () => {
    const clock = intervalClock(12, minuteOfDay('09:00') ?? -1);
    expect(iso(clock.nextAfter(at('2026-03-01T08:59:00Z')))).toBe('2026-03-01T09:00:00.000Z');
    expect(iso(clock.nextAfter(at('2026-03-01T09:00:00Z')))).toBe('2026-03-01T21:00:00.000Z');
    expect(iso(clock.latestAtOrBefore(at('2026-03-02T08:00:00Z')))).toBe('2026-03-01T21:00:00.000Z');
    expect(iso(clock.latestAtOrBefore(at('2026-03-02T09:00:00Z')))).toBe('2026-03-02T09:00:00.000Z');
  });

  it('of 24 hours run once a day at the start time', () => {
    const clock = intervalClock(24, minuteOfDay('23:30') ?? -1);
    expect(iso(clock.nextAfter(at('2026-03-01T23:31:00Z')))).toBe('2026-03-02T23:30:00.000Z');
  });

  it('read only valid hh:mm times', () => {
    expect(minuteOfDay('00:00')).toBe(0);
    expect(minuteOfDay('23:59')).toBe(1439);
    for (const bad of ['24:00', '9:00', '12:60', '12-00', '']) expect(minuteOfDay(bad)).toBeUndefined();
  });
});

describe('cron schedules', () => {
  it('run at the given minute of the listed hours', () => {
    const clock = cronClock('cron(15 6,18 * * ? *)');
    expect(iso(clock.nextAfter(at('2026-03-01T06:15:00Z')))).toBe('2026-03-01T18:15:00.000Z');
    expect(iso(clock.nextAfter(at('2026-03-01T18:15:00Z')))).toBe('2026-03-02T06:15:00.000Z');
    expect(iso(clock.latestAtOrBefore(at('2026-03-01T06:14:59Z')))).toBe('2026-02-28T18:15:00.000Z');
  });

  it('keep to the days of the week (1 = Sunday) and months', () => {
    // 2026-03-02 is a Monday.
    const mondays = cronClock('cron(0 9 ? * MON *)');
    expect(iso(mondays.nextAfter(at('2026-03-01T00:00:00Z')))).toBe('2026-03-02T09:00:00.000Z');
    expect(iso(mondays.nextAfter(at('2026-03-02T09:00:00Z')))).toBe('2026-03-09T09:00:00.000Z');
    const sundays = cronClock('cron(0 0 ? * 1 *)');
    expect(iso(sundays.nextAfter(at('2026-03-02T00:00:00Z')))).toBe('2026-03-08T00:00:00.000Z');
    const firstOfQuarter = cronClock('cron(30 2 1 1/3 ? *)');
    expect(iso(firstOfQuarter.nextAfter(at('2026-02-10T00:00:00Z')))).toBe('2026-04-01T02:30:00.000Z');
    const everyTwoHours = cronClock('cron(0 0/2 * * ? *)');
    expect(iso(everyTwoHours.nextAfter(at('2026-02-10T01:00:00Z')))).toBe('2026-02-10T02:00:00.000Z');
  });

  it('refuse what they cannot run, saying why', () => {
    const why = (expression: string) => {
      try {
        cronClock(expression);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(CronExpressionError);
        return (error as Error).message;
      }
    };
    expect(why('0 9 * * ? *')).toBe('it must have the form cron(fields)');
    expect(why('cron(0 9 * * ?)')).toMatch(/six fields/);
    expect(why('cron(0 9 * * * *)')).toMatch(/exactly one of day-of-month and day-of-week/);
    expect(why('cron(0/5 9 * * ? *)')).toMatch(/at most once an hour/);
    expect(why('cron(0 25 * * ? *)')).toBe("'25' is not a valid hour (0-23)");
    expect(why('cron(0 9 L * ? *)')).toMatch(/L, W or #/);
    expect(why('cron(0 9 ? * WED *)')).toBe('accepted');
  });
});
