/**
 * The gateway's master key (32 random bytes, base64 in a file of mode 0600):
 * read from NIMBUS_GATEWAY_MASTER_KEY_FILE; made there on first start when the
 * file does not exist yet, so a one-machine region needs no set-up. Losing the
 * file makes every stored access key unusable (new keys must be made); a
 * deployment across machines gives every gateway replica the same file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function loadOrCreateMasterKey(path: string): Buffer {
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    mkdirSync(dirname(path), { recursive: true });
    const key = randomBytes(32);
    // 'wx': two replicas starting at once do not overwrite each other's key.
    try {
      writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      return key;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      text = readFileSync(path, 'utf8');
    }
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new Error(`the gateway master key ${path} is readable by others: chmod 600 it`);
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new Error(`the gateway master key ${path} does not hold 32 bytes in base64`);
  return key;
}
