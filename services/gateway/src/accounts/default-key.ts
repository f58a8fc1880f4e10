/**
 * The one-machine region's ready-made AWS credentials: an account named
 * `default` with the region's default account id, and an access key for it,
 * written with the gateway's URL to `<NIMBUS_HOME>/gateway.json` (mode 0600)
 * for the launcher and the user. A key written by an earlier start is kept
 * while the store still has it; otherwise a new one replaces it.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isApiError } from '@nimbus/service-kit';
import { type AccountStore, MAX_KEYS_PER_ACCOUNT } from './account-store.js';

export interface GatewayFile {
  url: string;
  region: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

function readPrevious(path: string): GatewayFile | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as GatewayFile;
  } catch {
    return undefined;
  }
}

export async function ensureDefaultKey(
  accounts: AccountStore,
  accountId: string,
  path: string,
): Promise<Pick<GatewayFile, 'accountId' | 'accessKeyId' | 'secretAccessKey'>> {
  if (!(await accounts.getAccount(accountId))) {
    try {
      await accounts.createAccount('default', accountId);
    } catch (error) {
      // Another replica made it meanwhile.
      if (!isApiError(error, 'EntityAlreadyExists')) throw error;
    }
  }
  const previous = readPrevious(path);
  if (previous?.accountId === accountId) {
    const stored = await accounts.secretOf(previous.accessKeyId);
    if (stored?.secret === previous.secretAccessKey) return previous;
  }
  const keys = await accounts.listAccessKeys(accountId);
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_KEYS_PER_ACCOUNT + 1))) {
    await accounts.deleteAccessKey(old.accessKeyId);
  }
  const key = await accounts.createAccessKey(accountId);
  return { accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
}

export function writeGatewayFile(path: string, file: GatewayFile): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}
