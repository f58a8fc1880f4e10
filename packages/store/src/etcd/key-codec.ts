import type { IKeyValue } from 'etcd3';
import type { KeyValue } from '../store.js';

/**
 * Translates between the store's keys and etcd's bytes under a namespace
 * prefix, and etcd's key-values (int64 revisions as strings) into `KeyValue`s.
 */
export class KeyCodec {
  constructor(private readonly namespace: string) {}

  encode(key: string): Buffer {
    return Buffer.from(this.namespace + key);
  }

  decode(key: Buffer): string {
    return key.toString().slice(this.namespace.length);
  }

  /** The end of the range of keys that start with `prefix` (etcd's exclusive `range_end`). */
  prefixEnd(prefix: string): Buffer {
    const bytes = Buffer.from(this.namespace + prefix);
    for (let index = bytes.length - 1; index >= 0; index--) {
      if ((bytes[index] as number) < 0xff) {
        const end = bytes.subarray(0, index + 1);
        end[index] = (bytes[index] as number) + 1;
        return end;
      }
    }
    return Buffer.from([0]);
  }

  keyValue(kv: IKeyValue): KeyValue {
    const lease = kv.lease && kv.lease !== '0' ? { lease: kv.lease } : {};
    return {
      key: this.decode(kv.key),
      value: kv.value.toString(),
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
      ...lease,
    };
  }
}
