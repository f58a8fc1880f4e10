import { describe, expect, it } from 'vitest';
import {
  checkIdsWithoutMaxResults,
  decodeNextToken,
  encodeNextToken,
  pageOf,
  resolveMaxResults,
} from './pagination.js';
import { codeOf } from './testing.js';

describe('next_token', () => {
  it('round-trips the last key and is opaque, URL-safe text', () => {
    const key = '/nimbus/network/vpcs/123456789012/vpc-0123456789abcdef0';
    const token = encodeNextToken(key);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).not.toContain('vpc-');
    expect(decodeNextToken(token)).toBe(key);
    expect(decodeNextToken(token, '/nimbus/network/vpcs/123456789012/')).toBe(key);
    expect(decodeNextToken('')).toBeUndefined();
  });

  it('refuses forged tokens and tokens of another listing with InvalidPaginationToken', () => {
    const token = encodeNextToken('/nimbus/network/vpcs/123456789012/vpc-0123456789abcdef0');
    expect(codeOf(() => decodeNextToken('not a token!'))).toBe('InvalidPaginationToken');
    expect(codeOf(() => decodeNextToken(Buffer.from('/some/key').toString('base64url')))).toBe(
      'InvalidPaginationToken',
    );
    expect(codeOf(() => decodeNextToken(token, '/nimbus/network/vpcs/999999999999/'))).toBe(
      'InvalidPaginationToken',
    );
  });
});

describe('max_results', () => {
  it('accepts 5 to 1000 and falls back when unset', () => {
    expect(resolveMaxResults(5)).toBe(5);
    expect(resolveMaxResults(1000)).toBe(1000);
    expect(resolveMaxResults(0)).toBe(1000);
    expect(resolveMaxResults(0, { fallback: 50 })).toBe(50);
    expect(resolveMaxResults(200, { min: 1, max: 200 })).toBe(200);
  });

  it('refuses anything else with InvalidParameterValue', () => {
    for (const bad of [4, 1001, -1, 2.5])
      expect(
        codeOf(() => resolveMaxResults(bad)),
        String(bad),
      ).toBe('InvalidParameterValue');
    expect(() => resolveMaxResults(3)).toThrow('Value ( 3 ) for parameter maxResults is invalid');
  });

  it('refuses max_results with explicit ids', () => {
    expect(codeOf(() => checkIdsWithoutMaxResults('vpcIds', ['vpc-1'], 5))).toBe(
      'InvalidParameterCombination',
    );
    expect(codeOf(() => checkIdsWithoutMaxResults('vpcIds', ['vpc-1'], 0))).toBeUndefined();
    expect(codeOf(() => checkIdsWithoutMaxResults('vpcIds', [], 5))).toBeUndefined();
  });
});

describe('pages', () => {
  it('walks every item exactly once, in order, whatever the page size', () => {
    const keys = Array.from({ length: 23 }, (_, i) => `/k/${String(i).padStart(3, '0')}`);
    for (const pageSize of [5, 7, 23, 100]) {
      const seen: string[] = [];
      let nextToken = '';
      let pages = 0;
      do {
        const page = pageOf(keys, (k) => k, { nextToken, pageSize, keyPrefix: '/k/' });
        seen.push(...page.items);
        nextToken = page.nextToken;
        pages++;
      } while (nextToken !== '');
      expect(seen).toEqual(keys);
      expect(pages).toBe(Math.max(1, Math.ceil(keys.length / pageSize)));
    }
  });

  it('keeps going after the token key even when that item was deleted meanwhile', () => {
    const first = pageOf(['a', 'b', 'c', 'd'], (k) => k, { nextToken: '', pageSize: 2 });
    expect(first.items).toEqual(['a', 'b']);
    expect(pageOf(['a', 'c', 'd'], (k) => k, { nextToken: first.nextToken, pageSize: 2 }).items).toEqual([
      'c',
      'd',
    ]);
  });
});
