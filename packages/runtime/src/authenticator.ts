import type { Metadata } from '@grpc/grpc-js';
import { ACCOUNT_KEY, AUTHORIZATION_KEY } from './metadata-keys.js';

export interface Identity {
  /** Twelve-digit account id. */
  accountId: string;
}

/**
 * Establishes who is calling from the request metadata; undefined means the
 * credentials are missing or unknown, and the call is refused with AuthFailure.
 */
export type Authenticator = (metadata: Metadata) => Promise<Identity | undefined>;

const accountIdPattern = /^\d{12}$/;

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

/** Bearer tokens from a fixed table: `authorization: Bearer <token>` → account id. */
export function staticTokens(
  tokens: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): Authenticator {
  const table = tokens instanceof Map ? tokens : new Map(Object.entries(tokens));
  return async (metadata) => {
    const header = firstString(metadata, AUTHORIZATION_KEY);
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const accountId = match?.[1] ? table.get(match[1]) : undefined;
    return accountId ? { accountId } : undefined;
  };
}

/**
 * For development and the one-machine region: trusts the `x-nimbus-account`
 * header (twelve digits) and falls back to a default account. Never expose a
 * server using it beyond loopback.
 */
export function devAccount(defaultAccountId: string): Authenticator {
  if (!accountIdPattern.test(defaultAccountId)) {
    throw new TypeError(`default account id must be twelve digits, got '${defaultAccountId}'`);
  }
  return async (metadata) => {
    const claimed = firstString(metadata, ACCOUNT_KEY);
    if (claimed === undefined) return { accountId: defaultAccountId };
    return accountIdPattern.test(claimed) ? { accountId: claimed } : undefined;
  };
}
