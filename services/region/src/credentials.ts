/**
 * The region's default account: a 12-digit account id and a bearer token,
 * made once and kept in `<home>/credentials.json` (mode 0600), so that the
 * CLI and scripts keep working across restarts of the region.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Credentials {
  accountId: string;
  token: string;
}

export function loadOrCreateCredentials(home: string): Credentials {
  const path = join(home, 'credentials.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Credentials;
  const credentials: Credentials = {
    accountId: String(randomInt(100_000_000_000, 999_999_999_999)),
    token: randomBytes(24).toString('base64url'),
  };
  writeFileSync(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}
