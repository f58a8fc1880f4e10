/**
 * Verifies a request signed with Signature Version 4, in either form: the
 * Authorization header, or the X-Amz-* query parameters of a presigned URL.
 * The signing key comes from the credential scope's date, region and service;
 * the region and service must be the ones this endpoint serves. Timestamps more
 * than 15 minutes from the gateway's clock are refused, as are presigned URLs
 * past their X-Amz-Expires.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  canonicalRequest,
  type HeaderValues,
  queryPairs,
  sha256Hex,
  stringToSign,
} from './canonical-request.js';
import { hmac, type SigningKeyCache } from './signing-key.js';
import { SigV4Error } from './sigv4-error.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's timestamp may be from the gateway's clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;
/** The longest X-Amz-Expires AWS accepts: seven days. */
const MAX_PRESIGNED_SECONDS = 604_800;

export interface SignedRequest {
  method: string;
  /** The path of the request line, as sent (still percent-encoded). */
  rawPath: string;
  /** The query string after `?`, as sent; '' when none. */
  rawQuery: string;
  headers: HeaderValues;
  body: Uint8Array;
}

export interface AccessKeySecret {
  accountId: string;
  secret: string;
}

export interface VerifyOptions {
  /** The secret and account of an access key id; undefined when unknown or inactive. */
  lookup(accessKeyId: string): Promise<AccessKeySecret | undefined>;
  keys: SigningKeyCache;
  /** The region name clients must sign for. */
  region: string;
  /** The signing names this endpoint accepts (`ec2`, `autoscaling`, `elasticloadbalancing`). */
  services: readonly string[];
  now: number;
}

export interface VerifiedCaller {
  accountId: string;
  accessKeyId: string;
  /** The signing name of the scope, which says which API the client meant. */
  service: string;
}

interface SignatureParts {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Seconds a presigned URL stays valid; undefined for the header form. */
  expires: number | undefined;
  query: [string, string][];
}

const amzDatePattern = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parseAmzDate(text: string): number | undefined {
  const match = amzDatePattern.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const time = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
  return Number.isNaN(time) ? undefined : time;
}

/** `Date` header (RFC 7231) as an X-Amz-Date, for clients that sign with it. */
function amzDateFromHttpDate(text: string): string | undefined {
  const time = Date.parse(text);
  if (Number.isNaN(time)) return undefined;
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseCredential(
  credential: string,
): Pick<SignatureParts, 'accessKeyId' | 'date' | 'region' | 'service'> {
  const parts = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !date || !region || !service || !terminator) {
    throw new SigV4Error(
      'incomplete',
      `Credential '${credential}' is malformed: expecting "<access key id>/YYYYMMDD/<region>/<service>/aws4_request".`,
    );
  }
  if (terminator !== 'aws4_request') {
    throw new SigV4Error(
      'mismatch',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
    );
  }
  if (!/^\d{8}$/.test(date)) {
    throw new SigV4Error('incomplete', `Credential date '${date}' is not in the form YYYYMMDD.`);
  }
  return { accessKeyId, date, region, service };
}

function parseSignedHeaders(text: string): string[] {
  return text.split(';').map((name) => name.trim().toLowerCase());
}

function first(headers: HeaderValues, name: string): string | undefined {
  return headers.get(name)?.[0];
}

function fromHeader(request: SignedRequest, authorization: string): SignatureParts {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw new SigV4Error(
      'incomplete',
      `Unsupported signing algorithm '${algorithm}': only ${ALGORITHM} is accepted.`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !fields.get(name));
  if (missing.length > 0) {
    throw new SigV4Error(
      'incomplete',
      missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '),
    );
  }
  const xAmzDate = first(request.headers, 'x-amz-date');
  const httpDate = first(request.headers, 'date');
  const amzDate = xAmzDate ?? (httpDate === undefined ? undefined : amzDateFromHttpDate(httpDate));
  if (amzDate === undefined) {
    throw new SigV4Error(
      'incomplete',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  return {
    ...parseCredential(fields.get('Credential') as string),
    signedHeaders: parseSignedHeaders(fields.get('SignedHeaders') as string),
    signature: fields.get('Signature') as string,
    amzDate,
    expires: undefined,
    query: queryPairs(request.rawQuery),
  };
}

function fromQuery(pairs: [string, string][]): SignatureParts {
  const params = new Map(pairs);
  const required = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ];
  const missing = required.filter((name) => !params.get(name));
  if (missing.length > 0) {
    throw new SigV4Error(
      'incomplete',
      missing.map((name) => `Presigned requests require the '${name}' parameter.`).join(' '),
    );
  }
  if (params.get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new SigV4Error(
      'incomplete',
      `Unsupported signing algorithm '${params.get('X-Amz-Algorithm')}': only ${ALGORITHM} is accepted.`,
    );
  }
  const expiresText = params.get('X-Amz-Expires');
  const expires = expiresText === undefined ? MAX_PRESIGNED_SECONDS : Number(expiresText);
  if (!/^\d+$/.test(expiresText ?? '0') || expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
    throw new SigV4Error(
      'incomplete',
      `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_SECONDS}, not '${expiresText}'.`,
    );
  }
  return {
    ...parseCredential(params.get('X-Amz-Credential') as string),
    signedHeaders: parseSignedHeaders(params.get('X-Amz-SignedHeaders') as string),
    signature: params.get('X-Amz-Signature') as string,
    amzDate: params.get('X-Amz-Date') as string,
    expires,
    query: pairs.filter(([name]) => name !== 'X-Amz-Signature'),
  };
}

/** Whether the request carries a signature at all, in either form. */
export function isSigned(request: SignedRequest): boolean {
  return request.headers.has('authorization') || /(^|&)X-Amz-Signature=/.test(request.rawQuery);
}

function checkTime(parts: SignatureParts, now: number): void {
  const time = parseAmzDate(parts.amzDate);
  if (time === undefined) {
    throw new SigV4Error('incomplete', `X-Amz-Date '${parts.amzDate}' is not in the form YYYYMMDDTHHMMSSZ.`);
  }
  if (parts.amzDate.slice(0, 8) !== parts.date) {
    throw new SigV4Error(
      'mismatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parts.date}' != '${parts.amzDate.slice(0, 8)}'.`,
    );
  }
  if (time - now > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error(
      'expired',
      `Request timestamp ${parts.amzDate} is more than 15 minutes in the future.`,
    );
  }
  if (parts.expires !== undefined) {
    if (now > time + parts.expires * 1000) {
      throw new SigV4Error(
        'expired',
        `Presigned request expired at ${new Date(time + parts.expires * 1000).toISOString()}.`,
      );
    }
  } else if (now - time > MAX_CLOCK_SKEW_MS) {
    throw new SigV4Error(
      'expired',
      `Request has expired: timestamp ${parts.amzDate} is more than 15 minutes old.`,
    );
  }
}

function payloadHash(request: SignedRequest): string {
  const declared = first(request.headers, 'x-amz-content-sha256');
  const actual = sha256Hex(request.body);
  if (declared === undefined || declared === 'UNSIGNED-PAYLOAD') return declared ?? actual;
  if (declared !== actual) {
    throw new SigV4Error(
      'mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  return declared;
}

function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The caller of a signed request, or a SigV4Error saying why the signature is refused. */
export async function verifyRequest(request: SignedRequest, options: VerifyOptions): Promise<VerifiedCaller> {
  const authorization = first(request.headers, 'authorization');
  const pairs = queryPairs(request.rawQuery);
  const presigned = pairs.some(([name]) => name === 'X-Amz-Signature' || name === 'X-Amz-Credential');
  if (authorization !== undefined && presigned) {
    throw new SigV4Error(
      'incomplete',
      'Only one authentication mechanism is allowed: the Authorization header or X-Amz-* query parameters.',
    );
  }
  if (authorization === undefined && !presigned) {
    throw new SigV4Error('missing', 'Request is missing Authentication Token.');
  }
  const parts = authorization !== undefined ? fromHeader(request, authorization) : fromQuery(pairs);
  if (!parts.signedHeaders.includes('host')) {
    throw new SigV4Error('incomplete', "'Host' must be a signed header.");
  }
  const unsent = parts.signedHeaders.filter((name) => !request.headers.has(name));
  if (unsent.length > 0) {
    throw new SigV4Error('mismatch', `Signed headers missing from the request: ${unsent.join(', ')}.`);
  }
  const key = await options.lookup(parts.accessKeyId);
  if (!key) {
    throw new SigV4Error('unknown-key', 'The security token included in the request is invalid.');
  }
  if (parts.region !== options.region) {
    throw new SigV4Error('mismatch', `Credential should be scoped to a valid region, not '${parts.region}'.`);
  }
  if (!options.services.includes(parts.service)) {
    throw new SigV4Error(
      'mismatch',
      `Credential should be scoped to correct service: '${options.services[0]}', not '${parts.service}'.`,
    );
  }
  const scope = `${parts.date}/${parts.region}/${parts.service}/aws4_request`;
  const canonical = canonicalRequest({
    method: request.method,
    rawPath: request.rawPath,
    query: parts.query,
    headers: request.headers,
    signedHeaders: parts.signedHeaders,
    payloadHash:
      parts.expires === undefined
        ? payloadHash(request)
        : (first(request.headers, 'x-amz-content-sha256') ?? sha256Hex(request.body)),
  });
  const signingKey = options.keys.get(parts.accessKeyId, key.secret, parts.date, parts.region, parts.service);
  const expected = hmac(signingKey, stringToSign(parts.amzDate, scope, canonical)).toString('hex');
  if (!sameHex(expected, parts.signature.toLowerCase())) {
    throw new SigV4Error(
      'mismatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  checkTime(parts, options.now);
  return { accountId: key.accountId, accessKeyId: parts.accessKeyId, service: parts.service };
}
