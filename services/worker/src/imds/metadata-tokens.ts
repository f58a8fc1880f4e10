/**
 * IMDSv2 session tokens: `PUT /latest/api/token` hands one out for a TTL of
 * 1-21600 seconds. A token is `<expiry>.<HMAC-SHA256(key, instance id, expiry)>`,
 * so the worker keeps no table of them, a token of one instance is worthless
 * at another's endpoint, and (the key being kept in the worker's home)
 * tokens stay valid across a worker restart, as they do across an EC2 host's
 * IMDS restarts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';

export const minTokenTtlSeconds = 1;
export const maxTokenTtlSeconds = 21_600;

export interface MetadataTokens {
  issue(instanceId: string, ttlSeconds: number): string;
  /** True while the token is the instance's and not expired. */
  verify(instanceId: string, token: string): boolean;
}

export function createMetadataTokens(key: Uint8Array, now: () => number = Date.now): MetadataTokens {
  const mac = (instanceId: string, expiry: string) =>
    createHmac('sha256', key).update(`${instanceId}\n${expiry}`).digest('base64url');
  return {
    issue(instanceId, ttlSeconds) {
      const expiry = String(Math.floor(now() / 1000) + ttlSeconds);
      return `${expiry}.${mac(instanceId, expiry)}`;
    },
    verify(instanceId, token) {
      const [expiry, given] = token.split('.');
      if (!expiry || !given || !/^\d+$/.test(expiry)) return false;
      if (Number(expiry) * 1000 <= now()) return false;
      const expected = Buffer.from(mac(instanceId, expiry));
      const actual = Buffer.from(given);
      return expected.length === actual.length && timingSafeEqual(expected, actual);
    },
  };
}

/** The worker's token key from `path`, made (32 random bytes, mode 0600) on first use. */
export async function loadTokenKey(path: string): Promise<Uint8Array> {
  try {
    const key = await readFile(path);
    if (key.length >= 32) return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  await writeFile(path, key, { mode: 0o600 });
  return key;
}
