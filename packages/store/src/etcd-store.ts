import type { Etcd3, ICompare, IRequestOp } from 'etcd3';
import { campaignOn } from './election.js';
import { createEtcdClient, guard } from './etcd/etcd-client.js';
import { grantEtcdLease, keepEtcdLeaseAliveOnce } from './etcd/etcd-lease.js';
import {
  type EtcdStoreOptions,
  type ResolvedEtcdStoreOptions,
  resolveEtcdStoreOptions,
} from './etcd/etcd-options.js';
import { watchEtcd } from './etcd/etcd-watch.js';
import { KeyCodec } from './etcd/key-codec.js';
import {
  type CampaignOptions,
  CompactedError,
  type KeyValue,
  type Leadership,
  type Lease,
  type LeaseOptions,
  type ListOptions,
  type ListResult,
  type PutOptions,
  type Store,
  StoreUnavailableError,
  type TxnOp,
  type TxnResult,
  type WatchEvent,
  type WatchOptions,
  type WriteResult,
} from './store.js';

/**
 * The store on etcd through the etcd3 client. Every write is one etcd
 * transaction that compares the key's create or mod revision, so the
 * preconditions hold atomically on the server. Calls fail fast: while etcd is
 * unreachable each one rejects with `StoreUnavailableError` within
 * `dialTimeoutMs`, and once it is back calls and open watches carry on.
 */
export class EtcdStore implements Store {
  private readonly options: ResolvedEtcdStoreOptions;
  private readonly client: Etcd3;
  private readonly codec: KeyCodec;
  private readonly closing = new AbortController();
  /** The highest compact revision seen, to name it in `CompactedError`s of reads (etcd does not say). */
  private compactRevision = 0;

  constructor(options: EtcdStoreOptions) {
    this.options = resolveEtcdStoreOptions(options);
    this.client = createEtcdClient(this.options);
    this.codec = new KeyCodec(this.options.namespace);
  }

  /** Checks that etcd answers, so a service fails at start with a clear error rather than later. */
  async connect(): Promise<void> {
    await this.revision();
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.call('get', () => this.client.kv.range({ key: this.codec.encode(key) }));
    const kv = response.kvs[0];
    return kv ? this.codec.keyValue(kv) : undefined;
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    const start = options.after !== undefined && options.after >= prefix ? `${options.after}\0` : prefix;
    const { revision } = options;
    const response = await this.call(
      'list',
      () =>
        this.client.kv.range({
          key: this.codec.encode(start),
          range_end: this.codec.prefixEnd(prefix),
          ...(options.limit ? { limit: options.limit } : {}),
          ...(revision ? { revision } : {}),
        }),
      revision,
    );
    return {
      items: response.kvs.map((kv) => this.codec.keyValue(kv)),
      revision: revision ?? Number(response.header.revision),
      more: response.more,
    };
  }

  create(key: string, value: string, options: PutOptions = {}): Promise<WriteResult> {
    return this.write('create', key, 0, { request_put: this.put(key, value, options.lease) });
  }

  update(
    key: string,
    value: string,
    expectedRevision: number,
    options: PutOptions = {},
  ): Promise<WriteResult> {
    return this.write('update', key, expectedRevision, { request_put: this.put(key, value, options.lease) });
  }

  delete(key: string, expectedRevision: number): Promise<WriteResult> {
    return this.write('delete', key, expectedRevision, {
      request_delete_range: { key: this.codec.encode(key) },
    });
  }

  async txn(ops: TxnOp[]): Promise<TxnResult> {
    const success: IRequestOp[] = [];
    for (const op of ops) {
      if (op.type === 'create' || op.type === 'update')
        success.push({ request_put: this.put(op.key, op.value, op.lease) });
      if (op.type === 'delete') success.push({ request_delete_range: { key: this.codec.encode(op.key) } });
    }
    const response = await this.transact(
      'txn',
      ops.map((op) => this.compareModRevision(op.key, op.type === 'create' ? 0 : op.expectedRevision)),
      success,
      ops.map((op) => ({ request_range: { key: this.codec.encode(op.key) } })),
    );
    if (response.succeeded) return { ok: true, revision: Number(response.header.revision) };
    const failed = ops.find((op, index) => {
      const current = response.responses[index]?.response_range.kvs[0];
      return Number(current?.mod_revision ?? 0) !== (op.type === 'create' ? 0 : op.expectedRevision);
    });
    return { ok: false, failedKey: failed?.key ?? ops[0]?.key ?? '' };
  }

  watch(prefix: string, options: WatchOptions = {}): AsyncIterable<WatchEvent[]> {
    this.assertOpen();
    const context = {
      client: this.client,
      codec: this.codec,
      closed: this.closing.signal,
      onCompacted: (revision: number) => {
        this.compactRevision = Math.max(this.compactRevision, revision);
      },
    };
    return watchEtcd(context, prefix, options.fromRevision, options.signal);
  }

  async grantLease(ttlSeconds: number, options: LeaseOptions = {}): Promise<Lease> {
    this.assertOpen();
    const bound = <T>(what: string, call: () => Promise<T>) => this.call(what, call);
    return grantEtcdLease(this.client, bound, ttlSeconds, options.autoKeepAlive ?? true, this.closing.signal);
  }

  keepAliveOnce(leaseId: string): Promise<boolean> {
    return keepEtcdLeaseAliveOnce(this.client, (what, call) => this.call(what, call), leaseId);
  }

  campaign(election: string, candidate: string, options?: CampaignOptions): Promise<Leadership> {
    return campaignOn(this, election, candidate, options);
  }

  async revision(): Promise<number> {
    const response = await this.call('read the revision', () =>
      // Any key will do: the header carries the store revision. etcd refuses an empty one.
      this.client.kv.range({ key: Buffer.from([0]), count_only: true }),
    );
    return Number(response.header.revision);
  }

  async compact(revision: number): Promise<void> {
    await this.call('compact', () => this.client.kv.compact({ revision, physical: true }), revision);
    this.compactRevision = Math.max(this.compactRevision, revision);
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.client.close();
  }

  private async write(
    what: string,
    key: string,
    expectedRevision: number,
    op: IRequestOp,
  ): Promise<WriteResult> {
    if (what !== 'create' && expectedRevision <= 0) return { ok: false, current: await this.get(key) };
    const response = await this.transact(
      what,
      [this.compareModRevision(key, expectedRevision)],
      [op],
      [{ request_range: { key: this.codec.encode(key) } }],
    );
    if (response.succeeded) return { ok: true, revision: Number(response.header.revision) };
    const current = response.responses[0]?.response_range.kvs[0];
    return { ok: false, current: current ? this.codec.keyValue(current) : undefined };
  }

  private transact(what: string, compare: ICompare[], success: IRequestOp[], failure: IRequestOp[]) {
    return this.call(what, () => this.client.kv.txn({ compare, success, failure }));
  }

  /** Mod revision 0 means absent; for a create etcd's idiom compares the create revision instead. */
  private compareModRevision(key: string, expectedRevision: number): ICompare {
    const target = expectedRevision === 0 ? 'Create' : 'Mod';
    return {
      key: this.codec.encode(key),
      result: 'Equal',
      target,
      ...(target === 'Create' ? { create_revision: 0 } : { mod_revision: expectedRevision }),
    };
  }

  private put(key: string, value: string, lease: string | undefined) {
    return { key: this.codec.encode(key), value: Buffer.from(value), ...(lease ? { lease } : {}) };
  }

  private call<T>(what: string, call: () => Promise<T>, requestedRevision?: number): Promise<T> {
    this.assertOpen();
    const compacted =
      requestedRevision === undefined
        ? undefined
        : () => new CompactedError(requestedRevision, this.compactRevision);
    return guard(what, this.options, call, compacted);
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new StoreUnavailableError('the etcd store is closed');
  }
}

/** Makes a store without contacting etcd; see `openEtcdStore` to check it answers first. */
export function createEtcdStore(options: EtcdStoreOptions): EtcdStore {
  return new EtcdStore(options);
}

/**
 * Makes a store and checks that etcd answers within `dialTimeoutMs`; rejects
 * with a `StoreUnavailableError` naming the endpoints otherwise.
 */
export async function openEtcdStore(options: EtcdStoreOptions): Promise<EtcdStore> {
  const store = createEtcdStore(options);
  try {
    await store.connect();
    return store;
  } catch (error) {
    await store.close();
    throw error;
  }
}
