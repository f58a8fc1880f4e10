/**
 * A Query API as the gateway serves it: its version and XML namespace, how it
 * words errors (EC2's `<Response><Errors>` or the `<ErrorResponse>` of ELBv2
 * and Auto Scaling), the SigV4 signing name, and its action table.
 */
import type { SigV4FailureKind } from '../sigv4/sigv4-error.js';
import type { QueryAction } from './query-action.js';
import type { WireStyle } from './wire-names.js';
import { escapeXml } from './xml-encoder.js';

export interface QueryApi {
  /** The SigV4 signing name: `ec2`, `autoscaling`, `elasticloadbalancing`. */
  signingName: string;
  version: string;
  namespace: string;
  errorFormat: 'ec2' | 'error-response';
  /** How its parameters and answers name fields and number lists (see wire-names.ts). */
  style: WireStyle;
  actions: ReadonlyMap<string, QueryAction>;
  /** The code and HTTP status each kind of refused signature gets. */
  authErrors: Record<SigV4FailureKind, { code: string; httpStatus: number }>;
  /** The code of a throttled call: RequestLimitExceeded (EC2) or Throttling. */
  throttledCode: string;
}

/** What EC2 answers for each kind of refused signature. */
export const ec2AuthErrors: QueryApi['authErrors'] = {
  missing: { code: 'AuthFailure', httpStatus: 401 },
  incomplete: { code: 'IncompleteSignature', httpStatus: 400 },
  'unknown-key': { code: 'AuthFailure', httpStatus: 401 },
  mismatch: { code: 'SignatureDoesNotMatch', httpStatus: 403 },
  expired: { code: 'RequestExpired', httpStatus: 400 },
};

/** What the other Query APIs (ELBv2, Auto Scaling) answer. */
export const queryAuthErrors: QueryApi['authErrors'] = {
  missing: { code: 'MissingAuthenticationToken', httpStatus: 403 },
  incomplete: { code: 'IncompleteSignature', httpStatus: 400 },
  'unknown-key': { code: 'InvalidClientTokenId', httpStatus: 403 },
  mismatch: { code: 'SignatureDoesNotMatch', httpStatus: 403 },
  expired: { code: 'RequestExpired', httpStatus: 400 },
};

const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function errorXml(api: QueryApi, code: string, message: string, requestId: string): string {
  if (api.errorFormat === 'ec2') {
    return `${xmlDeclaration}<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  }
  const type = /^(InternalError|InternalFailure|ServiceUnavailable)$/.test(code) ? 'Receiver' : 'Sender';
  return `${xmlDeclaration}<ErrorResponse xmlns="${api.namespace}"><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

/** A successful answer: EC2 puts the result beside requestId; the others in <ActionResult> and ResponseMetadata. */
export function responseXml(api: QueryApi, action: string, inner: string, requestId: string): string {
  if (api.errorFormat === 'ec2') {
    return `${xmlDeclaration}<${action}Response xmlns="${api.namespace}"><requestId>${requestId}</requestId>${inner}</${action}Response>`;
  }
  return `${xmlDeclaration}<${action}Response xmlns="${api.namespace}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}
