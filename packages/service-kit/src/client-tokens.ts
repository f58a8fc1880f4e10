/**
 * Idempotent creation with EC2's ClientToken: the first call with a token
 * records which resource it made and a digest of its arguments, in the same
 * transaction as the resource itself; a later call with that token and the
 * same arguments answers with that resource, and with other arguments gets
 * IdempotentParameterMismatch. A crash between the two writes cannot happen,
 * as there is only one.
 */
import { createHash } from 'node:crypto';
import type { Store, TxnOp } from '@nimbus/store';
import { ApiError, invalidParameterValue } from './api-error.js';
import { createRecords } from './records.js';

interface TokenRecord {
  /** The id of what the first call made (an instance reservation, a volume, ...). */
  resourceId: string;
  /** sha256 of the first call's arguments. */
  arguments: string;
}

export interface ClientTokens {
  /**
   * What an earlier call with `token` made, when it had the same `digest`;
   * undefined for a new token; IdempotentParameterMismatch otherwise.
   */
  earlier(accountId: string, token: string, digest: string): Promise<string | undefined>;
  /** The write that claims `token` for `resourceId`: commit it with the resource, in one txn. */
  claim(accountId: string, token: string, digest: string, resourceId: string): TxnOp;
}

/** The digest `earlier` and `claim` compare: the arguments that define the result. */
export function argumentsDigest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** EC2's rule for the token itself: up to 64 ASCII characters. */
export function checkClientToken(token: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is the whole point.
  if (token.length > 64 || !/^[\x00-\x7f]*$/.test(token)) {
    throw invalidParameterValue('The client token must be at most 64 ASCII characters.');
  }
}

/** Client tokens kept under `keyOf(accountId, token)`: tokens are per account, as in EC2. */
export function createClientTokens(
  store: Store,
  keyOf: (accountId: string, token: string) => string,
): ClientTokens {
  const records = createRecords<TokenRecord>(store);
  return {
    async earlier(accountId, token, digest) {
      const claimed = await records.get(keyOf(accountId, token));
      if (!claimed) return undefined;
      if (claimed.value.arguments !== digest) {
        throw new ApiError(
          'IdempotentParameterMismatch',
          `The client token '${token}' was already used with other arguments.`,
        );
      }
      return claimed.value.resourceId;
    },
    claim(accountId, token, digest, resourceId) {
      const value: TokenRecord = { resourceId, arguments: digest };
      return { type: 'create', key: keyOf(accountId, token), value: JSON.stringify(value) };
    },
  };
}
