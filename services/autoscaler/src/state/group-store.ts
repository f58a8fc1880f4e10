/** Reading and changing groups with compare-and-swap. */
import { createRecords, type Stored } from '@nimbus/service-kit';
import type { Store, TxnOp } from '@nimbus/store';
import { groupNotFound } from '../domain/autoscaling-errors.js';
import { autoscalingKeys } from './autoscaling-keys.js';
import type { GroupRecord } from './group-records.js';

export interface GroupChange<T> {
  /** The new record; undefined leaves the group as it is (and `ops` are not written). */
  group?: GroupRecord;
  /** Other writes to commit with it (new activities). */
  ops?: TxnOp[];
  result: T;
}

export function createGroupStore(store: Store) {
  const groups = createRecords<GroupRecord>(store);
  const require = async (accountId: string, name: string): Promise<Stored<GroupRecord>> => {
    const found = name ? await groups.get(autoscalingKeys.group(accountId, name)) : undefined;
    if (!found) throw groupNotFound(name);
    return found;
  };
  /**
   * Applies `change` to the group read fresh, writing it with `ops` in one
   * transaction; a lost race reads again and applies `change` again.
   */
  const mutate = async <T>(
    key: string,
    change: (group: Stored<GroupRecord>) => GroupChange<T> | Promise<GroupChange<T>>,
    missing: () => Error,
  ): Promise<T> => {
    for (;;) {
      const current = await groups.get(key);
      if (!current) throw missing();
      const { group, ops = [], result } = await change(current);
      if (!group) return result;
      const written = await store.txn([
        { type: 'update', key, value: JSON.stringify(group), expectedRevision: current.revision },
        ...ops,
      ]);
      if (written.ok) return result;
    }
  };
  return { groups, require, mutate };
}

export type GroupStore = ReturnType<typeof createGroupStore>;
