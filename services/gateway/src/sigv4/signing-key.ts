/**
 * The SigV4 signing key: HMAC-SHA256 chained over the date, region, service
 * and the terminator `aws4_request`, starting from `AWS4` + the secret. One
 * key serves a whole day of a scope, so the gateway keeps the keys it derived
 * (a bounded map) rather than four HMACs per request.
 */
import { createHmac } from 'node:crypto';

export function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const dateKey = hmac(`AWS4${secret}`, date);
  const regionKey = hmac(dateKey, region);
  const serviceKey = hmac(regionKey, service);
  return hmac(serviceKey, 'aws4_request');
}

export interface SigningKeyCache {
  get(accessKeyId: string, secret: string, date: string, region: string, service: string): Buffer;
}

/** Keeps up to `capacity` derived keys, oldest dropped first; a new secret for the same key id misses. */
export function createSigningKeyCache(capacity = 10_000): SigningKeyCache {
  const keys = new Map<string, { secret: string; key: Buffer }>();
  return {
    get(accessKeyId, secret, date, region, service) {
      const name = `${accessKeyId}/${date}/${region}/${service}`;
      const cached = keys.get(name);
      if (cached && cached.secret === secret) return cached.key;
      const key = deriveSigningKey(secret, date, region, service);
      keys.delete(name);
      keys.set(name, { secret, key });
      if (keys.size > capacity) keys.delete(keys.keys().next().value as string);
      return key;
    },
  };
}
