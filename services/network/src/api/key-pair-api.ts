/**
 * CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair. A key pair
 * is stored under its name (unique per account, enforced by create-if-absent)
 * with its public key and fingerprint; a created pair's private key is in the
 * answer only and never reaches the store.
 */
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { NetworkService } from '@nimbus/api/gen/nimbus/network/v1/network_service_pb';
import type { ServiceImpl } from '@nimbus/runtime';
import {
  checkIdsWithoutMaxResults,
  compileFilters,
  createRecords,
  dryRunOperation,
  type FilterFields,
  pageOf,
  resolveMaxResults,
  type StoredTag,
  tagsFor,
  toTags,
} from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { IdPrefix, newId } from '../domain/ids.js';
import {
  generateKeyPair,
  importPublicKey,
  KeyPairErrorCode,
  type KeyType,
  parseKeyFormat,
  parseKeyType,
  validateKeyName,
} from '../domain/key-pair.js';
import { NetworkError, NetworkErrorCode } from '../domain/network-errors.js';
import { type CreateToken, createTokenGuard } from '../state/create-tokens.js';
import { networkKeys } from '../state/keys.js';

export interface KeyPairRecord {
  keyPairId: string;
  keyName: string;
  keyType: KeyType;
  keyFingerprint: string;
  /** OpenSSH public key line: what instance metadata serves as `public-keys/0/openssh-key`. */
  publicKey: string;
  ownerId: string;
  createTime: string;
  tags: StoredTag[];
}

type KeyPairApi = Pick<
  ServiceImpl<typeof NetworkService>,
  'createKeyPair' | 'importKeyPair' | 'describeKeyPairs' | 'deleteKeyPair'
>;

const filterFields: FilterFields<KeyPairRecord> = {
  'key-pair-id': (k) => k.keyPairId,
  'key-name': (k) => k.keyName,
  fingerprint: (k) => k.keyFingerprint,
  'key-type': (k) => k.keyType,
};

function duplicate(keyName: string): NetworkError {
  return new NetworkError(KeyPairErrorCode.Duplicate, `The keypair '${keyName}' already exists.`);
}

export function createKeyPairApi(store: Store): KeyPairApi {
  const keyPairs = createRecords<KeyPairRecord>(store);
  const tokens = createTokenGuard(store, 'key-pair');
  /** Saves a new key pair with its token; the name of what a concurrent call with the token made instead, if one did. */
  const save = async (accountId: string, record: KeyPairRecord, token: CreateToken) => {
    const key = networkKeys.keyPair(accountId, record.keyName);
    const result = await store.txn([
      { type: 'create', key, value: JSON.stringify(record) },
      ...token.claim(record.keyName),
    ]);
    if (result.ok) return undefined;
    const winner = await token.earlier();
    if (winner) return winner;
    throw duplicate(record.keyName);
  };
  const existing = async (accountId: string, keyName: string) =>
    keyPairs.get(networkKeys.keyPair(accountId, keyName));
  /** What a repeated call answers: the key pair the first made, without its private key (given once). */
  const madeBefore = async (accountId: string, keyName: string) => {
    const found = await existing(accountId, keyName);
    if (!found) throw new NetworkError(KeyPairErrorCode.NotFound, `The key pair '${keyName}' does not exist`);
    return {
      keyPairId: found.value.keyPairId,
      keyName: found.value.keyName,
      keyFingerprint: found.value.keyFingerprint,
      tags: toTags(found.value.tags),
    };
  };
  const newRecord = (
    accountId: string,
    keyName: string,
    key: { keyType: KeyType; keyFingerprint: string; publicKey: string },
    tags: StoredTag[],
  ): KeyPairRecord => ({
    keyPairId: newId(IdPrefix.keyPair),
    keyName,
    keyType: key.keyType,
    keyFingerprint: key.keyFingerprint,
    publicKey: key.publicKey,
    ownerId: accountId,
    createTime: new Date().toISOString(),
    tags,
  });

  return {
    async createKeyPair(request, { accountId }) {
      validateKeyName(request.keyName);
      const keyType = parseKeyType(request.keyType);
      parseKeyFormat(request.keyFormat);
      const tags = tagsFor('key-pair', request.tagSpecifications);
      const token = tokens.forRequest(accountId, request.clientToken, [
        'create',
        request.keyName,
        keyType,
        request.keyFormat,
        tags,
      ]);
      const before = await token.earlier();
      if (before) return madeBefore(accountId, before);
      if (await existing(accountId, request.keyName)) {
        // Taken, perhaps by a concurrent call with the same token.
        const winner = await token.earlier();
        if (winner) return madeBefore(accountId, winner);
        throw duplicate(request.keyName);
      }
      if (request.dryRun) throw dryRunOperation();
      const generated = await generateKeyPair(keyType, request.keyName);
      const record = newRecord(accountId, request.keyName, generated, tags);
      const winner = await save(accountId, record, token);
      if (winner) return madeBefore(accountId, winner);
      return {
        keyPairId: record.keyPairId,
        keyName: record.keyName,
        keyFingerprint: record.keyFingerprint,
        keyMaterial: generated.keyMaterial,
        tags: toTags(tags),
      };
    },

    async importKeyPair(request, { accountId }) {
      validateKeyName(request.keyName);
      if (request.publicKeyMaterial.length === 0) {
        throw new NetworkError(
          NetworkErrorCode.MissingParameter,
          'The request must contain the parameter PublicKeyMaterial',
        );
      }
      const imported = importPublicKey(request.publicKeyMaterial);
      const tags = tagsFor('key-pair', request.tagSpecifications);
      const token = tokens.forRequest(accountId, request.clientToken, [
        'import',
        request.keyName,
        imported.publicKey,
        tags,
      ]);
      const before = await token.earlier();
      if (before) return madeBefore(accountId, before);
      if (await existing(accountId, request.keyName)) {
        // Taken, perhaps by a concurrent call with the same token.
        const winner = await token.earlier();
        if (winner) return madeBefore(accountId, winner);
        throw duplicate(request.keyName);
      }
      if (request.dryRun) throw dryRunOperation();
      const record = newRecord(accountId, request.keyName, imported, tags);
      const winner = await save(accountId, record, token);
      if (winner) return madeBefore(accountId, winner);
      return {
        keyPairId: record.keyPairId,
        keyName: record.keyName,
        keyFingerprint: record.keyFingerprint,
        tags: toTags(tags),
      };
    },

    async describeKeyPairs(request, { accountId }) {
      checkIdsWithoutMaxResults('KeyNames', request.keyNames, request.maxResults);
      checkIdsWithoutMaxResults('KeyPairIds', request.keyPairIds, request.maxResults);
      const pageSize = resolveMaxResults(request.maxResults);
      const matches = compileFilters(request.filters, filterFields, { tags: (k) => k.tags });
      if (request.dryRun) throw dryRunOperation();
      const all = (await keyPairs.list(networkKeys.keyPairs(accountId))).map((r) => r.value);
      for (const name of request.keyNames) {
        if (!all.some((k) => k.keyName === name)) {
          throw new NetworkError(KeyPairErrorCode.NotFound, `The key pair '${name}' does not exist`);
        }
      }
      for (const id of request.keyPairIds) {
        if (!all.some((k) => k.keyPairId === id)) {
          throw new NetworkError(KeyPairErrorCode.NotFound, `The key pair ID '${id}' does not exist`);
        }
      }
      const selected = all.filter(
        (k) =>
          (request.keyNames.length === 0 || request.keyNames.includes(k.keyName)) &&
          (request.keyPairIds.length === 0 || request.keyPairIds.includes(k.keyPairId)) &&
          matches(k),
      );
      const page = pageOf(selected, (k) => k.keyName, { nextToken: request.nextToken, pageSize });
      return {
        keyPairs: page.items.map((k) => ({
          keyPairId: k.keyPairId,
          keyName: k.keyName,
          keyFingerprint: k.keyFingerprint,
          keyType: k.keyType,
          publicKey: request.includePublicKey ? k.publicKey : '',
          createTime: timestampFromDate(new Date(k.createTime)),
          tags: toTags(k.tags),
        })),
        nextToken: page.nextToken,
      };
    },

    async deleteKeyPair(request, { accountId }) {
      if (request.keyName === '' && request.keyPairId === '') {
        throw new NetworkError(
          NetworkErrorCode.MissingParameter,
          'The request must contain the parameter KeyName or KeyPairId',
        );
      }
      if (request.dryRun) throw dryRunOperation();
      // Deleting what does not exist succeeds, as in EC2; a concurrent change is re-read and retried.
      for (;;) {
        const record = request.keyName
          ? await existing(accountId, request.keyName)
          : (await keyPairs.list(networkKeys.keyPairs(accountId))).find(
              (r) => r.value.keyPairId === request.keyPairId,
            );
        if (!record) return { return: true, keyPairId: request.keyPairId };
        if (await keyPairs.delete(record)) return { return: true, keyPairId: record.value.keyPairId };
      }
    },
  };
}
