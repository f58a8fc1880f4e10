/**
 * The canonical request of Signature Version 4: the method, the path, the
 * query, the signed headers and the payload hash, each in the one form both
 * sides compute. The rules are AWS's (RFC 3986 encoding of everything but
 * A-Z a-z 0-9 - _ . ~, parameters sorted by encoded name then value, header
 * names lowercased and values trimmed with inner runs of spaces collapsed).
 */
import { createHash } from 'node:crypto';

/** RFC 3986 percent-encoding as SigV4 wants it: only unreserved characters stay. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Decodes a percent-encoded component as sent; malformed escapes stay as they are. */
function percentDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The path as the client put it in the request line, dot segments and empty
 * segments removed, each segment encoded once more (what the SDKs sign for
 * every service but S3).
 */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.map(uriEncode).join('/')}${trailing}`;
}

/** The query's parameters decoded as sent (`+` stays a plus: SigV4 clients encode spaces as %20). */
export function queryPairs(rawQuery: string): [string, string][] {
  if (rawQuery === '') return [];
  return rawQuery.split('&').map((part) => {
    const equals = part.indexOf('=');
    return equals < 0
      ? [percentDecode(part), '']
      : [percentDecode(part.slice(0, equals)), percentDecode(part.slice(equals + 1))];
  });
}

export function canonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Header values by lowercase name, several occurrences in order (from Node's `rawHeaders`). */
export type HeaderValues = ReadonlyMap<string, readonly string[]>;

export function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const values = headers.get(name) ?? [];
    values.push(rawHeaders[i + 1] as string);
    headers.set(name, values);
  }
  return headers;
}

function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

/** `name:value\n` for each signed header, in the order of `signedHeaders` (already sorted). */
export function canonicalHeaders(headers: HeaderValues, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => `${name}:${(headers.get(name) ?? []).map(canonicalValue).join(',')}\n`)
    .join('');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface CanonicalRequestParts {
  method: string;
  rawPath: string;
  /** Query parameters, X-Amz-Signature already left out for presigned URLs. */
  query: readonly (readonly [string, string])[];
  headers: HeaderValues;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method,
    canonicalPath(parts.rawPath),
    canonicalQuery(parts.query),
    canonicalHeaders(parts.headers, parts.signedHeaders),
    parts.signedHeaders.join(';'),
    parts.payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
}
