/** Request and response metadata keys that Nimbus servers and clients agree on. */

/** Request: the caller's request id. Response: the id the server used (header and trailer). */
export const REQUEST_ID_KEY = 'x-request-id';
/** Trailer of a failed call: the EC2 error code. */
export const ERROR_CODE_TRAILER = 'nimbus-error-code';
/** Trailer of a failed call: a binary `nimbus.common.v1.ErrorDetail`. */
export const ERROR_DETAIL_TRAILER = 'nimbus-error-detail-bin';
/** Request: `Bearer <token>`. */
export const AUTHORIZATION_KEY = 'authorization';
/** Request: the account to act as, trusted only by the development authenticator. */
export const ACCOUNT_KEY = 'x-nimbus-account';
