/**
 * Reading and changing instance records: lookups with EC2's refusals for
 * unknown ids, and compare-and-swap updates that re-read and re-apply the
 * change when another writer got there first.
 */
import { createRecords, isId, type Records, type Stored } from '@nimbus/service-kit';
import type { Store } from '@nimbus/store';
import { instanceIdMalformed, instanceNotFound, missingParameter } from '../domain/compute-errors.js';
import { computeKeys } from './compute-keys.js';
import { noteWrite } from './instance-cache.js';
import type { InstanceRecord } from './instance-records.js';

export interface InstanceStore {
  records: Records<InstanceRecord>;
  get(accountId: string, instanceId: string): Promise<Stored<InstanceRecord> | undefined>;
  list(accountId: string): Promise<Stored<InstanceRecord>[]>;
  /**
   * The instances named, in the order given (duplicates once): a malformed id
   * or an empty list is refused first, then every unknown id at once, so that a
   * call naming any unknown id changes nothing.
   */
  require(accountId: string, ids: readonly string[]): Promise<Stored<InstanceRecord>[]>;
  /**
   * Applies `change` to the fresh record until the write lands; `change`
   * returning undefined means "nothing to write". Resolves with the record as
   * written (or as it is), its revision, and whether it was written.
   */
  update(
    record: Stored<InstanceRecord>,
    change: (current: InstanceRecord) => InstanceRecord | undefined,
  ): Promise<{ record: Stored<InstanceRecord>; before: InstanceRecord; written: boolean } | undefined>;
}

export function checkInstanceIds(ids: readonly string[]): void {
  for (const id of ids) if (!isId('i', id)) throw instanceIdMalformed(id);
}

export function createInstanceStore(store: Store): InstanceStore {
  const records = createRecords<InstanceRecord>(store);
  return {
    records,
    get: (accountId, instanceId) => records.get(computeKeys.instance(accountId, instanceId)),
    list: (accountId) => records.list(computeKeys.instances(accountId)),
    async require(accountId, ids) {
      if (ids.length === 0) throw missingParameter('InstanceId');
      checkInstanceIds(ids);
      const unique = [...new Set(ids)];
      const found = await Promise.all(unique.map((id) => records.get(computeKeys.instance(accountId, id))));
      const missing = unique.filter((_, i) => found[i] === undefined);
      if (missing.length > 0) throw instanceNotFound(missing);
      return found as Stored<InstanceRecord>[];
    },
    async update(record, change) {
      let current: Stored<InstanceRecord> | undefined = record;
      for (;;) {
        if (!current) return undefined;
        const next = change(current.value);
        if (next === undefined) return { record: current, before: current.value, written: false };
        const result = await store.update(current.key, JSON.stringify(next), current.revision);
        if (result.ok) {
          noteWrite(store, next.ownerId, result.revision);
          return {
            record: { key: current.key, value: next, revision: result.revision },
            before: current.value,
            written: true,
          };
        }
        current = await records.get(current.key);
      }
    },
  };
}
