/**
 * ClientToken for the network's creates (VPCs, subnets, security groups, key pairs): the
 * token is claimed in the create's own transaction (service-kit client-tokens),
 * so a repeat, or a caller racing with the first, answers with what the first
 * call made, and other arguments get IdempotentParameterMismatch.
 */
import { argumentsDigest, checkClientToken, createClientTokens } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { vpcKeys } from './vpc-keys.js';

export interface CreateToken {
  /** What an earlier call with this token made (same arguments), else undefined. */
  earlier(): Promise<string | undefined>;
  /** The claim to commit with the resource: none without a token. */
  claim(resourceId: string): TxnOp[];
  /** Whether a failed transaction lost the token to a concurrent call (then `earlier` answers). */
  lostTo(failedKey: string): boolean;
}

export function createTokenGuard(store: Store, kind: 'vpc' | 'subnet' | 'security-group' | 'key-pair') {
  const keyOf = (accountId: string, token: string) => vpcKeys.createToken(kind, accountId, token);
  const tokens = createClientTokens(store, keyOf);
  return {
    /** The request's token, checked, with the arguments that define the result. */
    forRequest(accountId: string, token: string, args: unknown): CreateToken {
      checkClientToken(token);
      const digest = argumentsDigest(args);
      return {
        earlier: async () => (token === '' ? undefined : tokens.earlier(accountId, token, digest)),
        claim: (resourceId) => (token === '' ? [] : [tokens.claim(accountId, token, digest, resourceId)]),
        lostTo: (failedKey) => token !== '' && failedKey === keyOf(accountId, token),
      };
    },
  };
}
