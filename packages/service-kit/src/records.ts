/**
 * Typed JSON records over the store: what every resource of a domain service is kept as.
 * A record is its decoded value with the revision it was read at, so that the
 * next write can name it (compare-and-swap); a lost race is a `false`, never
 * a silent overwrite.
 */
import type { Store } from '@nimbus/store';

export interface Stored<T> {
  key: string;
  value: T;
  /** The store modRevision the value was read at: the expected revision of the next write. */
  revision: number;
}

export interface Records<T> {
  get(key: string): Promise<Stored<T> | undefined>;
  /** Every record under `prefix`, in key order. */
  list(prefix: string): Promise<Stored<T>[]>;
  /** False when the key already exists. */
  create(key: string, value: T): Promise<boolean>;
  /** False when the record changed since it was read. */
  update(record: Stored<T>, value: T): Promise<boolean>;
  /** False when the record changed since it was read. */
  delete(record: Stored<T>): Promise<boolean>;
}

const pageSize = 500;

export function createRecords<T>(store: Store): Records<T> {
  const decode = (key: string, value: string, revision: number): Stored<T> => ({
    key,
    value: JSON.parse(value) as T,
    revision,
  });
  return {
    async get(key) {
      const kv = await store.get(key);
      return kv && decode(kv.key, kv.value, kv.modRevision);
    },
    async list(prefix) {
      const records: Stored<T>[] = [];
      let after: string | undefined;
      let revision: number | undefined;
      for (;;) {
        const page = await store.list(prefix, {
          limit: pageSize,
          ...(after === undefined ? {} : { after }),
          ...(revision === undefined ? {} : { revision }),
        });
        revision = page.revision;
        for (const kv of page.items) records.push(decode(kv.key, kv.value, kv.modRevision));
        if (!page.more) return records;
        after = page.items.at(-1)?.key;
      }
    },
    async create(key, value) {
      return (await store.create(key, JSON.stringify(value))).ok;
    },
    async update(record, value) {
      return (await store.update(record.key, JSON.stringify(value), record.revision)).ok;
    },
    async delete(record) {
      return (await store.delete(record.key, record.revision)).ok;
    },
  };
}
