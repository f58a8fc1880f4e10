import { status } from '@grpc/grpc-js';
import type { Authenticator } from '../authenticator.js';
import { DomainError } from '../domain-error.js';
import type { ServerInterceptor } from '../inbound-call.js';

/** Runs the authenticator; unknown credentials end the call as UNAUTHENTICATED / AuthFailure. */
export function authInterceptor(authenticator: Authenticator): ServerInterceptor {
  return (next) => async (call) => {
    const identity = await authenticator(call.metadata);
    if (!identity) {
      throw new DomainError(
        'AuthFailure',
        'AWS was not able to validate the provided access credentials',
        status.UNAUTHENTICATED,
      );
    }
    call.accountId = identity.accountId;
    call.service = identity.service === true;
    return next(call);
  };
}
