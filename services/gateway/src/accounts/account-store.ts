/**
 * Accounts and access keys, kept by the gateway under /nimbus/gateway/:
 *
 *   accounts/<account id>            AccountRecord
 *   account-names/<name>             the account id (names are unique in the region)
 *   access-keys/<access key id>      AccessKeyRecord, the secret sealed (see secret-box.ts)
 *
 * Secrets leave this module only in CreateAccessKey's answer and to the SigV4
 * verifier; nothing here logs them.
 */
import { randomInt } from 'node:crypto';
import { ApiError } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { newAccessKeyId, newSecretAccessKey } from './access-key-ids.js';
import type { SealedSecret, SecretBox } from './secret-box.js';

const root = '/nimbus/gateway';
export const gatewayKeys = {
  account: (accountId: string) => `${root}/accounts/${accountId}`,
  accounts: () => `${root}/accounts/`,
  accountName: (name: string) => `${root}/account-names/${name}`,
  accessKey: (accessKeyId: string) => `${root}/access-keys/${accessKeyId}`,
  accessKeys: () => `${root}/access-keys/`,
};

export interface AccountRecord {
  accountId: string;
  accountName: string;
  createTime: string;
}

export type AccessKeyStatus = 'Active' | 'Inactive';

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  status: AccessKeyStatus;
  createTime: string;
  secret: SealedSecret;
}

/** An access key as the admin API shows it: never the secret. */
export type AccessKeyView = Omit<AccessKeyRecord, 'secret'>;

/** At most this many keys per account, as IAM allows per user. */
export const MAX_KEYS_PER_ACCOUNT = 2;

const accountNamePattern = /^[\w+=,.@-]{1,64}$/;

export interface AccountStore {
  createAccount(accountName: string, accountId?: string): Promise<AccountRecord>;
  listAccounts(): Promise<AccountRecord[]>;
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  /** The new key with its secret: the only time the secret is shown. */
  createAccessKey(accountId: string): Promise<AccessKeyView & { secretAccessKey: string }>;
  listAccessKeys(accountId?: string): Promise<AccessKeyView[]>;
  updateAccessKey(accessKeyId: string, status: AccessKeyStatus): Promise<AccessKeyView>;
  deleteAccessKey(accessKeyId: string): Promise<void>;
  /** The account and secret of an active key, for SigV4; undefined when unknown or inactive. */
  secretOf(accessKeyId: string): Promise<{ accountId: string; secret: string } | undefined>;
}

function view({ secret: _secret, ...rest }: AccessKeyRecord): AccessKeyView {
  return rest;
}

export function createAccountStore(store: Store, box: SecretBox, now: () => number = Date.now): AccountStore {
  const readKey = async (accessKeyId: string) => {
    const kv = await store.get(gatewayKeys.accessKey(accessKeyId));
    return kv && { record: JSON.parse(kv.value) as AccessKeyRecord, revision: kv.modRevision };
  };
  const noSuchKey = (accessKeyId: string) =>
    new ApiError('NoSuchEntity', `The Access Key with id ${accessKeyId} cannot be found.`);
  const listKeys = async (accountId?: string) => {
    const { items } = await store.list(gatewayKeys.accessKeys());
    return items
      .map((kv) => JSON.parse(kv.value) as AccessKeyRecord)
      .filter((record) => accountId === undefined || record.accountId === accountId);
  };
  const accounts: AccountStore = {
    async createAccount(accountName, accountId) {
      if (!accountNamePattern.test(accountName)) {
        throw new ApiError(
          'InvalidParameterValue',
          `Account name '${accountName}' must be 1-64 characters of letters, digits and + = , . @ _ -.`,
        );
      }
      if (accountId !== undefined && accountId !== '' && !/^\d{12}$/.test(accountId)) {
        throw new ApiError('InvalidParameterValue', `Account id '${accountId}' must be twelve digits.`);
      }
      for (let attempt = 0; attempt < 5; attempt++) {
        const id = accountId || String(randomInt(100_000_000_000, 999_999_999_999));
        const record: AccountRecord = {
          accountId: id,
          accountName,
          createTime: new Date(now()).toISOString(),
        };
        const result = await store.txn([
          { type: 'create', key: gatewayKeys.accountName(accountName), value: JSON.stringify(id) },
          { type: 'create', key: gatewayKeys.account(id), value: JSON.stringify(record) },
        ]);
        if (result.ok) return record;
        if (result.failedKey === gatewayKeys.accountName(accountName)) {
          throw new ApiError('EntityAlreadyExists', `An account named '${accountName}' already exists.`);
        }
        if (accountId) throw new ApiError('EntityAlreadyExists', `Account ${accountId} already exists.`);
      }
      throw new ApiError('InternalError', 'Could not find a free account id; try again.');
    },
    async listAccounts() {
      const { items } = await store.list(gatewayKeys.accounts());
      return items.map((kv) => JSON.parse(kv.value) as AccountRecord);
    },
    async getAccount(accountId) {
      const kv = await store.get(gatewayKeys.account(accountId));
      return kv && (JSON.parse(kv.value) as AccountRecord);
    },
    async createAccessKey(accountId) {
      const account = await store.get(gatewayKeys.account(accountId));
      if (!account) throw new ApiError('NoSuchEntity', `Account ${accountId} does not exist.`);
      const existing = await listKeys(accountId);
      if (existing.length >= MAX_KEYS_PER_ACCOUNT) {
        throw new ApiError(
          'LimitExceeded',
          `Cannot exceed quota for AccessKeysPerAccount: ${MAX_KEYS_PER_ACCOUNT}; delete a key first.`,
        );
      }
      const accessKeyId = newAccessKeyId();
      const secretAccessKey = newSecretAccessKey();
      const record: AccessKeyRecord = {
        accessKeyId,
        accountId,
        status: 'Active',
        createTime: new Date(now()).toISOString(),
        secret: box.seal(accessKeyId, secretAccessKey),
      };
      // The account must still exist when the key is written (a racing deletion loses).
      const result = await store.txn([
        { type: 'check', key: gatewayKeys.account(accountId), expectedRevision: account.modRevision },
        { type: 'create', key: gatewayKeys.accessKey(accessKeyId), value: JSON.stringify(record) },
      ]);
      if (!result.ok) throw new ApiError('NoSuchEntity', `Account ${accountId} does not exist.`);
      return { ...view(record), secretAccessKey };
    },
    async listAccessKeys(accountId) {
      return (await listKeys(accountId || undefined)).map(view);
    },
    async updateAccessKey(accessKeyId, status) {
      if (status !== 'Active' && status !== 'Inactive') {
        throw new ApiError('InvalidParameterValue', `Status must be Active or Inactive, not '${status}'.`);
      }
      for (;;) {
        const found = await readKey(accessKeyId);
        if (!found) throw noSuchKey(accessKeyId);
        const record = { ...found.record, status };
        const result = await store.update(
          gatewayKeys.accessKey(accessKeyId),
          JSON.stringify(record),
          found.revision,
        );
        if (result.ok) return view(record);
      }
    },
    async deleteAccessKey(accessKeyId) {
      for (;;) {
        const found = await readKey(accessKeyId);
        if (!found) throw noSuchKey(accessKeyId);
        if ((await store.delete(gatewayKeys.accessKey(accessKeyId), found.revision)).ok) return;
      }
    },
    async secretOf(accessKeyId) {
      const found = await readKey(accessKeyId);
      if (found?.record.status !== 'Active') return undefined;
      return { accountId: found.record.accountId, secret: box.open(accessKeyId, found.record.secret) };
    },
  };
  return accounts;
}

/**
 * `secretOf` behind a short cache: a request costs no store read while its key
 * is cached, and a deleted or deactivated key stops working within `ttlMs`.
 */
export function cachedSecrets(
  accounts: Pick<AccountStore, 'secretOf'>,
  ttlMs = 5_000,
  now: () => number = Date.now,
): (accessKeyId: string) => Promise<{ accountId: string; secret: string } | undefined> {
  const cache = new Map<
    string,
    { value: { accountId: string; secret: string } | undefined; until: number }
  >();
  return async (accessKeyId) => {
    const hit = cache.get(accessKeyId);
    if (hit && hit.until > now()) return hit.value;
    const value = await accounts.secretOf(accessKeyId);
    if (cache.size > 10_000) cache.clear();
    cache.set(accessKeyId, { value, until: now() + ttlMs });
    return value;
  };
}
