/**
 * Event subjects: exactly `nimbus.<domain>.<kind>.<verb>`, each token lower-case
 * letters, digits and dashes. Because every event subject has four tokens, a
 * filter's final `>` is rewritten to `*` tokens up to four: `nimbus.compute.>`
 * becomes `nimbus.compute.*.*`. That keeps filters inside the stream's
 * subjects (`nimbus.*.*.*`), which leaves the metric samples on
 * `nimbus.metrics.<source>` out of the stream.
 */

import { InvalidDurableNameError, InvalidSubjectError } from './event-bus.js';

const TOKEN = /^[a-z0-9][a-z0-9-]*$/;
const DURABLE = /^[A-Za-z0-9_-]{1,128}$/;
const EVENT_TOKENS = 4;

/** The stream's subjects: every event subject and nothing else under `nimbus.`. */
export const EVENT_SUBJECTS = 'nimbus.*.*.*';

/** Throws `InvalidSubjectError` unless `subject` is `nimbus.<domain>.<kind>.<verb>`. */
export function validateSubject(subject: string): void {
  const tokens = subject.split('.');
  if (tokens.length !== EVENT_TOKENS || tokens[0] !== 'nimbus' || !tokens.every((t) => TOKEN.test(t))) {
    throw new InvalidSubjectError(
      `invalid event subject ${JSON.stringify(subject)}: expected nimbus.<domain>.<kind>.<verb> ` +
        '(lower-case letters, digits and dashes), e.g. nimbus.compute.instance.state-changed',
    );
  }
}

/** Validates a subject filter and returns it with a final `>` expanded to `*` tokens. */
export function normalizeFilter(filter: string): string {
  const tokens = filter.split('.');
  const last = tokens.length - 1;
  const tokenOk = (t: string, i: number) => TOKEN.test(t) || t === '*' || (t === '>' && i === last);
  const fail = (why: string) =>
    new InvalidSubjectError(
      `invalid subject filter ${JSON.stringify(filter)}: ${why}; expected nimbus.<domain>.<kind>.<verb> ` +
        'where a token may be * and the last may be >, e.g. nimbus.compute.instance.*',
    );
  if (tokens[0] !== 'nimbus') throw fail('it must start with nimbus.');
  if (!tokens.every(tokenOk))
    throw fail('each token must be lower-case letters, digits, dashes, * or a final >');
  if (tokens[last] === '>') {
    if (tokens.length > EVENT_TOKENS) throw fail('it has more than four tokens');
    tokens.splice(last, 1, ...Array<string>(EVENT_TOKENS - last).fill('*'));
  } else if (tokens.length !== EVENT_TOKENS) {
    throw fail('it has no > and not exactly four tokens');
  }
  return tokens.join('.');
}

/** Validates and normalizes a list of filters, dropping repeats. */
export function normalizeFilters(filters: readonly string[]): string[] {
  if (filters.length === 0) throw new InvalidSubjectError('a subscription needs at least one subject filter');
  return [...new Set(filters.map(normalizeFilter))];
}

/** True when a four-token subject matches a normalized filter (no `>` left). */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  return f.length === s.length && f.every((token, i) => token === '*' || token === s[i]);
}

export function validateDurable(durable: string): void {
  if (!DURABLE.test(durable)) {
    throw new InvalidDurableNameError(
      `invalid durable name ${JSON.stringify(durable)}: use 1-128 letters, digits, - and _`,
    );
  }
}
