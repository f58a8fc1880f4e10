import { randomBytes } from 'node:crypto';

const hexDigits = 17;

/**
 * A new EC2-form id: prefix, dash, 17 lowercase hex digits (68 random bits,
 * so collisions are not a practical concern; the store's create-if-absent
 * still catches one).
 */
export function newId(prefix: string): string {
  const hex = randomBytes(9).toString('hex').slice(0, hexDigits);
  return `${prefix}-${hex}`;
}

const idPattern = /^[0-9a-f]{17}$/;

/**
 * Whether `s` is an id of that prefix. `eni-attach-…` is not an `eni` id:
 * the part after the prefix must be exactly the hex digits.
 */
export function isId(prefix: string, s: string): boolean {
  return s.startsWith(`${prefix}-`) && idPattern.test(s.slice(prefix.length + 1));
}
