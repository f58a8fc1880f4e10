/**
 * Why a request's Signature Version 4 was refused. The kinds are the API's
 * concern, not the error codes: each Query API answers them with its own code
 * (EC2 says AuthFailure where ELBv2 says InvalidClientTokenId), see
 * query/auth-errors.ts.
 */
export type SigV4FailureKind =
  /** No Authorization header and no X-Amz-Signature. */
  | 'missing'
  /** The signature's parts are absent or malformed. */
  | 'incomplete'
  /** The access key id is not one the gateway knows (or it is inactive). */
  | 'unknown-key'
  /** The signature does not match the request, or the scope is wrong. */
  | 'mismatch'
  /** The timestamp is more than 15 minutes off, or a presigned URL has expired. */
  | 'expired';

export class SigV4Error extends Error {
  override name = 'SigV4Error';
  constructor(
    readonly kind: SigV4FailureKind,
    message: string,
  ) {
    super(message);
  }
}
