/**
 * When a lifecycle policy's schedule is due: an interval of hours laid on a
 * grid from a start time of day (UTC), or a DLM cron expression
 * `cron(minutes hours day-of-month month day-of-week year)` in UTC. Times are
 * epoch ms; a due time is always on a whole minute.
 */

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;
const dayMs = 24 * hourMs;

export const scheduleIntervals = [1, 2, 3, 4, 6, 8, 12, 24] as const;

export interface ScheduleClock {
  /** The latest due time at or before `ms`. */
  latestAtOrBefore(ms: number): number;
  /** The first due time after `ms`. */
  nextAfter(ms: number): number;
}

/** Every `intervalHours` from `startMinuteOfDay` (UTC). Since the intervals divide a day, the grid is the same every day. */
export function intervalClock(intervalHours: number, startMinuteOfDay: number): ScheduleClock {
  const period = intervalHours * hourMs;
  const offset = (startMinuteOfDay * minuteMs) % period;
  const latestAtOrBefore = (ms: number) => Math.floor((ms - offset) / period) * period + offset;
  return { latestAtOrBefore, nextAfter: (ms) => latestAtOrBefore(ms) + period };
}

/** "hh:mm" to minutes of the day, or undefined when it is not a valid time. */
export function minuteOfDay(time: string): number | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) return undefined;
  return Number(match[1]) * 60 + Number(match[2]);
}

/** A cron expression Nimbus cannot read: the message says why. */
export class CronExpressionError extends Error {
  override name = 'CronExpressionError';
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

/** The values a field allows, or undefined for `*` and `?` (any). */
function parseField(text: string, spec: FieldSpec): Set<number> | undefined {
  if (text === '*' || text === '?') return undefined;
  const values = new Set<number>();
  const value = (part: string) => {
    const named = spec.names?.indexOf(part.toUpperCase()) ?? -1;
    const number = named >= 0 ? named + spec.min : /^\d+$/.test(part) ? Number(part) : Number.NaN;
    if (!Number.isInteger(number) || number < spec.min || number > spec.max) {
      throw new CronExpressionError(`'${part}' is not a valid ${spec.name} (${spec.min}-${spec.max})`);
    }
    return number;
  };
  for (const item of text.split(',')) {
    const [range = '', stepText] = item.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new CronExpressionError(`'${item}' has an invalid step in the ${spec.name} field`);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      from = value(a);
      to = value(b);
      if (to < from) throw new CronExpressionError(`'${range}' is an empty range in the ${spec.name} field`);
    } else {
      from = value(range);
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

/**
 * A DLM cron expression. Nimbus reads numbers, names (JAN, MON), `*`, `?`,
 * ranges, lists and steps, not `L`, `W` or `#`; one of day-of-month and
 * day-of-week must be `?` as in AWS, and the minutes must be one number, so
 * that a schedule runs at most once an hour (DLM's shortest interval).
 */
export function cronClock(expression: string): ScheduleClock {
  const match = /^cron\((.*)\)$/.exec(expression.trim());
  if (!match) throw new CronExpressionError('it must have the form cron(fields)');
  const fields = (match[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new CronExpressionError('it needs six fields: minutes hours day-of-month month day-of-week year');
  }
  const [minText = '', hourText = '', domText = '', monthText = '', dowText = '', yearText = ''] = fields;
  if (/[LW#]/i.test(`${domText} ${dowText}`.replace(/SUN|MON|TUE|WED|THU|FRI|SAT/gi, ''))) {
    throw new CronExpressionError('Nimbus does not support L, W or # in cron expressions');
  }
  if ((domText === '?') === (dowText === '?')) {
    throw new CronExpressionError('exactly one of day-of-month and day-of-week must be ?');
  }
  if (!/^\d+$/.test(minText)) {
    throw new CronExpressionError(
      'the minutes must be a single number: a schedule runs at most once an hour',
    );
  }
  const minute = [...(parseField(minText, { name: 'minute', min: 0, max: 59 }) ?? [])][0] ?? 0;
  const hours = parseField(hourText, { name: 'hour', min: 0, max: 23 });
  const doms = parseField(domText, { name: 'day of month', min: 1, max: 31 });
  const months = parseField(monthText, { name: 'month', min: 1, max: 12, names: monthNames });
  // AWS numbers the days of the week 1 (SUN) to 7 (SAT).
  const dows = parseField(dowText, { name: 'day of week', min: 1, max: 7, names: dayNames });
  const years = parseField(yearText, { name: 'year', min: 1970, max: 2199 });
  const dayMatches = (day: Date) =>
    (!months || months.has(day.getUTCMonth() + 1)) &&
    (!years || years.has(day.getUTCFullYear())) &&
    (!doms || doms.has(day.getUTCDate())) &&
    (!dows || dows.has(day.getUTCDay() + 1));
  const hourList = hours ? [...hours].sort((a, b) => a - b) : Array.from({ length: 24 }, (_, h) => h);
  // Far enough for a yearly schedule with a year to spare; past it the schedule never runs again.
  const horizonDays = 800;

  const nextAfter = (ms: number) => {
    const firstDay = Math.floor(ms / dayMs) * dayMs;
    for (let d = 0; d < horizonDays; d++) {
      const day = firstDay + d * dayMs;
      if (!dayMatches(new Date(day))) continue;
      for (const hour of hourList) {
        const at = day + hour * hourMs + minute * minuteMs;
        if (at > ms) return at;
      }
    }
    return Number.POSITIVE_INFINITY;
  };
  const latestAtOrBefore = (ms: number) => {
    const lastDay = Math.floor(ms / dayMs) * dayMs;
    for (let d = 0; d < horizonDays; d++) {
      const day = lastDay - d * dayMs;
      if (!dayMatches(new Date(day))) continue;
      for (const hour of [...hourList].reverse()) {
        const at = day + hour * hourMs + minute * minuteMs;
        if (at <= ms) return at;
      }
    }
    return Number.NEGATIVE_INFINITY;
  };
  return { latestAtOrBefore, nextAfter };
}
