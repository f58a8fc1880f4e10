/** Access key ids and secrets in AWS's shapes. */
import { randomBytes } from 'node:crypto';

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `AKIA` and 16 characters of A-Z and 2-7: 20 in all, as AWS's long-term keys. */
export function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  let id = 'AKIA';
  for (const byte of bytes) id += base32[byte & 31];
  return id;
}

/** 40 characters of A-Z a-z 0-9 + / (30 random bytes in base64). */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

export function isAccessKeyId(text: string): boolean {
  return /^AKIA[A-Z2-7]{16}$/.test(text);
}
