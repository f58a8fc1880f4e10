import { createEmbeddedStore } from '@nimbus/store';
import { describe, expect, it } from 'vitest';
import { isApiError } from './api-error.js';
import { argumentsDigest, checkClientToken, createClientTokens } from './client-tokens.js';

describe('client tokens', () => {
  it('answers the first call to a repeat with the same arguments, and refuses other arguments', async () => {
    const store = createEmbeddedStore();
    const tokens = createClientTokens(store, (account, token) => `/t/${account}/${token}`);
    const digest = argumentsDigest({ size: 8 });
    expect(await tokens.earlier('111111111111', 'abc', digest)).toBeUndefined();
    const first = await store.txn([tokens.claim('111111111111', 'abc', digest, 'vol-1')]);
    const second = await store.txn([tokens.claim('111111111111', 'abc', digest, 'vol-2')]);
    expect([first.ok, second.ok]).toEqual([true, false]);
    expect(await tokens.earlier('111111111111', 'abc', digest)).toBe('vol-1');
    // Tokens are per account.
    expect(await tokens.earlier('222222222222', 'abc', digest)).toBeUndefined();
    const mismatch = await tokens
      .earlier('111111111111', 'abc', argumentsDigest({ size: 9 }))
      .catch((e) => e);
    expect(isApiError(mismatch, 'IdempotentParameterMismatch')).toBe(true);
    await store.close();
  });

  it('takes up to 64 ASCII characters', () => {
    expect(() => checkClientToken('a'.repeat(64))).not.toThrow();
    expect(() => checkClientToken('a'.repeat(65))).toThrow(/at most 64 ASCII/);
    expect(() => checkClientToken('clé')).toThrow(/at most 64 ASCII/);
  });
});
