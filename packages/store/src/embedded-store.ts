import { campaignOn } from './election.js';
import { LeaseTable } from './embedded/leases.js';
import { Mvcc, type Write } from './embedded/mvcc.js';
import { WatchHub } from './embedded/watch-hub.js';
import {
  type CampaignOptions,
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
 * The store in this process's memory, for the one-machine default. It keeps
 * etcd's semantics (one revision counter, versions, history until compaction,
 * watches replayed from a revision, leases, elections) and passes the same
 * contract suite. Known differences from etcd:
 * - nothing is persisted: a restart starts from revision 0;
 * - a lease kept alive by this process never expires (it cannot miss a beat);
 * - keys compare as UTF-16 strings, not bytes (the same order for all but
 *   astral-plane characters);
 * - a watch never falls behind into compaction: its queue just grows.
 */
export class EmbeddedStore implements Store {
  private readonly mvcc = new Mvcc();
  private readonly hub = new WatchHub();
  private readonly leases = new LeaseTable((_, keys) => this.deleteKeys(keys));
  private closed = false;

  async get(key: string): Promise<KeyValue | undefined> {
    this.assertOpen();
    return this.mvcc.get(key);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    this.assertOpen();
    return this.mvcc.range(prefix, options);
  }

  async create(key: string, value: string, options: PutOptions = {}): Promise<WriteResult> {
    return this.write(key, 0, { type: 'put', key, value, ...lease(options.lease) });
  }

  async update(
    key: string,
    value: string,
    expectedRevision: number,
    options: PutOptions = {},
  ): Promise<WriteResult> {
    if (expectedRevision <= 0) return { ok: false, current: await this.get(key) };
    return this.write(key, expectedRevision, { type: 'put', key, value, ...lease(options.lease) });
  }

  async delete(key: string, expectedRevision: number): Promise<WriteResult> {
    if (expectedRevision <= 0) return { ok: false, current: await this.get(key) };
    return this.write(key, expectedRevision, { type: 'delete', key });
  }

  async txn(ops: TxnOp[]): Promise<TxnResult> {
    this.assertOpen();
    for (const op of ops) {
      const expected = op.type === 'create' ? 0 : op.expectedRevision;
      if ((this.mvcc.get(op.key)?.modRevision ?? 0) !== expected) return { ok: false, failedKey: op.key };
      if ('lease' in op && op.lease) this.assertLease(op.lease);
    }
    const writes: Write[] = [];
    for (const op of ops) {
      if (op.type === 'create' || op.type === 'update') {
        writes.push({ type: 'put', key: op.key, value: op.value, ...lease(op.lease) });
      } else if (op.type === 'delete') {
        writes.push({ type: 'delete', key: op.key });
      }
    }
    return { ok: true, revision: this.commit(writes) };
  }

  watch(prefix: string, options: WatchOptions = {}): AsyncIterable<WatchEvent[]> {
    this.assertOpen();
    return this.stream(prefix, options.fromRevision ?? this.mvcc.revision + 1, options.signal);
  }

  /** Subscribes on the first `next()`, so a compacted start throws while iterating, as etcd's does. */
  private async *stream(prefix: string, from: number, signal: AbortSignal | undefined) {
    yield* this.hub.subscribe(prefix, this.mvcc.batchesFrom(from), signal);
  }

  async grantLease(ttlSeconds: number, options: LeaseOptions = {}): Promise<Lease> {
    this.assertOpen();
    const { id, lost } = this.leases.grant(ttlSeconds, options.autoKeepAlive ?? true);
    return {
      id,
      ttlSeconds,
      lost,
      revoke: async () => {
        this.assertOpen();
        this.deleteKeys(this.leases.remove(id, 'revoked'));
      },
    };
  }

  async keepAliveOnce(leaseId: string): Promise<boolean> {
    this.assertOpen();
    return this.leases.keepAliveOnce(leaseId);
  }

  campaign(election: string, candidate: string, options?: CampaignOptions): Promise<Leadership> {
    return campaignOn(this, election, candidate, options);
  }

  async revision(): Promise<number> {
    this.assertOpen();
    return this.mvcc.revision;
  }

  async compact(revision: number): Promise<void> {
    this.assertOpen();
    this.mvcc.compact(revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeAll();
    this.leases.clear();
  }

  private write(key: string, expectedRevision: number, write: Write): WriteResult {
    this.assertOpen();
    const current = this.mvcc.get(key);
    if ((current?.modRevision ?? 0) !== expectedRevision) return { ok: false, current };
    if (write.type === 'put' && write.lease) this.assertLease(write.lease);
    return { ok: true, revision: this.commit([write]) };
  }

  /** Applies writes at one new revision, keeps lease bindings in step, and wakes the watches. */
  private commit(writes: Write[]): number {
    const batch = this.mvcc.apply(writes);
    for (const event of batch.events) {
      const key = event.type === 'put' ? event.kv.key : event.key;
      this.leases.bind(key, event.prev?.lease, event.type === 'put' ? event.kv.lease : undefined);
    }
    this.hub.publish(batch);
    return batch.revision;
  }

  private deleteKeys(keys: string[]): void {
    if (keys.length > 0 && !this.closed) this.commit(keys.map((key) => ({ type: 'delete', key })));
  }

  private assertLease(id: string): void {
    if (!this.leases.has(id)) throw new Error(`lease ${id} not found`);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the embedded store is closed');
  }
}

export function createEmbeddedStore(): EmbeddedStore {
  return new EmbeddedStore();
}

function lease(id: string | undefined): { lease?: string } {
  return id ? { lease: id } : {};
}
