import { ApiError, invalidParameterValue } from './api-error.js';

/**
 * Describe-call pagination. A `next_token` is the opaque form of the last key
 * of the page (base64url), so the next page is "keys after this one" and
 * pages stay stable while resources come and go.
 */
const tokenPrefix = 'n1:';

export function encodeNextToken(lastKey: string): string {
  return Buffer.from(tokenPrefix + lastKey).toString('base64url');
}

/**
 * The last key of the previous page; undefined for an empty token. A token
 * that does not decode, or points outside the listing's key prefix, is
 * `InvalidPaginationToken`.
 */
export function decodeNextToken(token: string, keyPrefix = ''): string | undefined {
  if (token === '') return undefined;
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const key = text.startsWith(tokenPrefix) ? text.slice(tokenPrefix.length) : undefined;
  if (key === undefined || !key.startsWith(keyPrefix)) {
    throw new ApiError('InvalidPaginationToken', 'The specified pagination token is not valid.');
  }
  return key;
}

export interface MaxResultsRange {
  /** EC2's usual bounds: 5 to 1000. */
  min?: number;
  max?: number;
  /** The page size when the caller sends 0 (unset). Default: `max`. */
  fallback?: number;
}

/** The page size: 0 means unset; outside [min, max] is `InvalidParameterValue`. */
export function resolveMaxResults(maxResults: number, range: MaxResultsRange = {}): number {
  const min = range.min ?? 5;
  const max = range.max ?? 1000;
  if (maxResults === 0) return range.fallback ?? max;
  if (!Number.isInteger(maxResults) || maxResults < min || maxResults > max) {
    throw invalidParameterValue(
      `Value ( ${maxResults} ) for parameter maxResults is invalid. Parameter may only be between ${min} and ${max}.`,
    );
  }
  return maxResults;
}

/** EC2 refuses max_results together with an explicit list of ids. */
export function checkIdsWithoutMaxResults(
  idParameter: string,
  ids: readonly string[],
  maxResults: number,
): void {
  if (ids.length > 0 && maxResults !== 0) {
    throw new ApiError(
      'InvalidParameterCombination',
      `The parameter ${idParameter} cannot be used with the parameter maxResults`,
    );
  }
}

export interface Page<T> {
  items: T[];
  /** Empty on the last page. */
  nextToken: string;
}

/**
 * One page of items already in key order (e.g. after listing and filtering):
 * the items after the token's key, at most `pageSize`, and the token of the next page.
 */
export function pageOf<T>(
  sorted: readonly T[],
  keyOf: (item: T) => string,
  request: { nextToken: string; pageSize: number; keyPrefix?: string },
): Page<T> {
  const after = decodeNextToken(request.nextToken, request.keyPrefix);
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const items = rest.slice(0, request.pageSize);
  const last = items.at(-1);
  return {
    items,
    nextToken: rest.length > items.length && last !== undefined ? encodeNextToken(keyOf(last)) : '',
  };
}
