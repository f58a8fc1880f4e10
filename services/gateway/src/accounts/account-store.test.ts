import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedStore } from '@nimbus/store';
import { afterAll, describe, expect, it } from 'vitest';
import { createAccountStore, gatewayKeys } from './account-store.js';
import { ensureDefaultKey, writeGatewayFile } from './default-key.js';
import { loadOrCreateMasterKey } from './master-key.js';
import { createSecretBox } from './secret-box.js';

const dir = await mkdtemp(join(tmpdir(), 'nimbus-accounts-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function accounts() {
  const store = createEmbeddedStore();
  return { store, accounts: createAccountStore(store, createSecretBox(randomBytes(32))) };
}

describe('accounts and access keys', () => {
  it('keeps secrets sealed in the store and opens them for SigV4', async () => {
    const { store, accounts: a } = accounts();
    const account = await a.createAccount('alice');
    expect(account.accountId).toMatch(/^\d{12}$/);
    const key = await a.createAccessKey(account.accountId);
    expect(key.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(key.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    const stored = (await store.get(gatewayKeys.accessKey(key.accessKeyId)))?.value ?? '';
    expect(stored).not.toContain(key.secretAccessKey);
    expect(await a.secretOf(key.accessKeyId)).toEqual({
      accountId: account.accountId,
      secret: key.secretAccessKey,
    });
    await a.updateAccessKey(key.accessKeyId, 'Inactive');
    expect(await a.secretOf(key.accessKeyId)).toBeUndefined();
  });

  it('refuses duplicate names, unknown accounts and a third key', async () => {
    const { accounts: a } = accounts();
    const { accountId } = await a.createAccount('bob');
    await expect(a.createAccount('bob')).rejects.toMatchObject({ code: 'EntityAlreadyExists' });
    await expect(a.createAccessKey('123456789012')).rejects.toMatchObject({ code: 'NoSuchEntity' });
    await a.createAccessKey(accountId);
    await a.createAccessKey(accountId);
    await expect(a.createAccessKey(accountId)).rejects.toMatchObject({ code: 'LimitExceeded' });
  });

  it('a sealed secret moved to another key id does not open', async () => {
    const { store, accounts: a } = accounts();
    const { accountId } = await a.createAccount('carol');
    const first = await a.createAccessKey(accountId);
    const second = await a.createAccessKey(accountId);
    const firstRecord = JSON.parse(
      (await store.get(gatewayKeys.accessKey(first.accessKeyId)))?.value ?? '{}',
    );
    const secondKv = await store.get(gatewayKeys.accessKey(second.accessKeyId));
    const swapped = { ...JSON.parse(secondKv?.value ?? '{}'), secret: firstRecord.secret };
    await store.update(
      gatewayKeys.accessKey(second.accessKeyId),
      JSON.stringify(swapped),
      secondKv?.modRevision ?? 0,
    );
    await expect(a.secretOf(second.accessKeyId)).rejects.toThrow();
  });
});

describe('the master key file', () => {
  it('is made once with mode 0600 and read back the same', async () => {
    const path = join(dir, 'master.key');
    const made = loadOrCreateMasterKey(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateMasterKey(path).equals(made)).toBe(true);
  });
});

describe("the region's ready-made key", () => {
  it('is kept across starts while the store has it, and replaced when it does not', async () => {
    const { accounts: a } = accounts();
    const path = join(dir, 'gateway.json');
    const first = await ensureDefaultKey(a, '123123123123', path);
    writeGatewayFile(path, { url: 'http://127.0.0.1:1', region: 'nimbus-1', ...first });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8')).secretAccessKey).toBe(first.secretAccessKey);
    expect(await ensureDefaultKey(a, '123123123123', path)).toMatchObject({ accessKeyId: first.accessKeyId });
    await a.deleteAccessKey(first.accessKeyId);
    const replaced = await ensureDefaultKey(a, '123123123123', path);
    expect(replaced.accessKeyId).not.toBe(first.accessKeyId);
    expect(await a.secretOf(replaced.accessKeyId)).toMatchObject({ accountId: '123123123123' });
  });
});
