import { timingSafeEqual } from 'node:crypto';
import type { Metadata } from '@grpc/grpc-js';
import { ACCOUNT_KEY, AUTHORIZATION_KEY } from './metadata-keys.js';

export interface Identity {
  /** Twelve-digit account id. */
  accountId: string;
  /** A Nimbus service acting for `accountId` (it holds the region's service token). */
  service?: boolean;
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

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Lets the region's services call each other for an account: a call bearing
 * `serviceToken` acts as the account in its `x-nimbus-account` header (which
 * it must carry), with `service: true`; any other call goes to `users`.
 */
export function withServiceToken(users: Authenticator, serviceToken: string): Authenticator {
  if (serviceToken.length < 16) throw new TypeError('the service token must have at least 16 characters');
  return async (metadata) => {
    const header = firstString(metadata, AUTHORIZATION_KEY);
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1] || !sameSecret(match[1], serviceToken)) return users(metadata);
    const accountId = firstString(metadata, ACCOUNT_KEY);
    return accountId !== undefined && accountIdPattern.test(accountId)
      ? { accountId, service: true }
      : undefined;
  };
}
