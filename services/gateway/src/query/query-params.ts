/**
 * A Query request's parameters: `application/x-www-form-urlencoded` from the
 * body of a POST and from the query string of any request, with the SigV4
 * query parameters (X-Amz-*) left out. A percent sign not followed by two hex
 * digits is MalformedQueryString, as AWS answers it.
 */
import { QueryError } from './query-error.js';

export type QueryParams = Map<string, string>;

const badEscape = /%(?![0-9A-Fa-f]{2})/;

function addForm(params: QueryParams, text: string): void {
  if (text === '') return;
  if (badEscape.test(text)) {
    throw new QueryError('MalformedQueryString', 'The query string contains a malformed percent-encoding.');
  }
  let decoded: URLSearchParams;
  try {
    decoded = new URLSearchParams(text);
  } catch {
    throw new QueryError('MalformedQueryString', 'The query string could not be parsed.');
  }
  for (const [name, value] of decoded) {
    if (name.startsWith('X-Amz-')) continue;
    if (name === '') {
      throw new QueryError('MalformedQueryString', 'The query string contains a parameter without a name.');
    }
    if (!params.has(name)) params.set(name, value);
  }
}

export function queryParams(rawQuery: string, body: string | undefined): QueryParams {
  const params: QueryParams = new Map();
  addForm(params, rawQuery);
  if (body !== undefined) addForm(params, body);
  return params;
}
