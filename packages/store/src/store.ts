/**
 * The resource store: a small key-value interface with explicit revisions, in
 * the manner of k3s kine. Every write names what it expects (create: the key is
 * absent; update and delete: the key's current modRevision), and a failed
 * precondition is a value (`{ ok: false }`), not an exception. Exceptions are
 * for the store being unreachable (`StoreUnavailableError`) or history being
 * gone (`CompactedError`).
 *
 * Revisions are one counter for the whole store that every write increments,
 * as in etcd. Keys and values are strings (values are JSON documents, so that
 * `etcdctl get --prefix /nimbus/` shows readable state).
 *
 * Two implementations pass one contract suite: `EtcdStore` (etcd3 client) and
 * `EmbeddedStore` (in-process, for the one-machine default).
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key. */
  createRevision: number;
  /** Revision of the last write of the key: the expected revision of the next update or delete. */
  modRevision: number;
  /** Number of writes since the key was created (1 after create). */
  version: number;
  /** The lease the key is bound to, if any; the key is deleted when the lease expires. */
  lease?: string;
}

export type WriteResult = { ok: true; revision: number } | { ok: false; current: KeyValue | undefined };

export interface PutOptions {
  /** Bind the key to a lease (from `grantLease`). */
  lease?: string;
}

export interface ListOptions {
  /** At most this many items. Default: all. */
  limit?: number;
  /** Return only keys strictly after this one (the last key of the previous page). */
  after?: string;
  /** Read at this revision (for consistent pagination); `CompactedError` if compacted. Default: latest. */
  revision?: number;
}

export interface ListResult {
  items: KeyValue[];
  /** The store revision the list was read at: watch from `revision + 1` to see every later change. */
  revision: number;
  /** True when keys remain after the last item. */
  more: boolean;
}

/** One operation of a transaction: a precondition on a key plus an optional write. */
export type TxnOp =
  | { type: 'create'; key: string; value: string; lease?: string }
  | { type: 'update'; key: string; value: string; expectedRevision: number; lease?: string }
  | { type: 'delete'; key: string; expectedRevision: number }
  /** A precondition only: the key is at this modRevision (0 means absent). */
  | { type: 'check'; key: string; expectedRevision: number };

export type TxnResult = { ok: true; revision: number } | { ok: false; failedKey: string };

export type WatchEvent =
  | { type: 'put'; kv: KeyValue; prev?: KeyValue }
  | { type: 'delete'; key: string; revision: number; prev?: KeyValue };

export interface WatchOptions {
  /** First revision to deliver (inclusive). Default: changes after now. */
  fromRevision?: number;
  /** Ends the watch: the iterator finishes. */
  signal?: AbortSignal;
}

export interface Lease {
  id: string;
  ttlSeconds: number;
  /** Aborted when the lease is lost (expired, revoked, or keep-alive failed). */
  readonly lost: AbortSignal;
  /** Revokes the lease: its keys are deleted. */
  revoke(): Promise<void>;
}

export interface LeaseOptions {
  /**
   * Keep the lease alive from this process (default true). False for leases
   * kept alive by someone else's heartbeat through `keepAliveOnce`, such as
   * compute's lease for each worker.
   */
  autoKeepAlive?: boolean;
}

export interface Leadership {
  /** Aborted when leadership is lost or resigned. */
  readonly lost: AbortSignal;
  resign(): Promise<void>;
}

export interface CampaignOptions {
  /** Lease time-to-live: how fast a crashed leader is replaced. Default 10 s. */
  ttlSeconds?: number;
  /** Stop campaigning: `campaign` rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Campaign on this lease instead of granting one (`ttlSeconds` is then
   * ignored): leadership ends when the lease is lost, and resigning deletes
   * the candidacy but leaves the lease to its owner.
   */
  lease?: Lease;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  /** Keys starting with `prefix`, in key order. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /** Creates the key; fails (as a value) if it exists. */
  create(key: string, value: string, options?: PutOptions): Promise<WriteResult>;
  /** Replaces the value if the key's modRevision is `expectedRevision`. */
  update(key: string, value: string, expectedRevision: number, options?: PutOptions): Promise<WriteResult>;
  /** Deletes the key if its modRevision is `expectedRevision`. */
  delete(key: string, expectedRevision: number): Promise<WriteResult>;
  /** All operations or none, at one revision: every precondition must hold. */
  txn(ops: TxnOp[]): Promise<TxnResult>;
  /**
   * Changes under `prefix`, batched per revision, from `fromRevision`.
   * Throws `CompactedError` if that revision is compacted; ends when the signal aborts.
   */
  watch(prefix: string, options?: WatchOptions): AsyncIterable<WatchEvent[]>;
  grantLease(ttlSeconds: number, options?: LeaseOptions): Promise<Lease>;
  /** Renews a lease once; false if it no longer exists. */
  keepAliveOnce(leaseId: string): Promise<boolean>;
  /**
   * Waits until this candidate leads `election`, then returns the leadership.
   * At most one candidate leads an election at a time.
   */
  campaign(election: string, candidate: string, options?: CampaignOptions): Promise<Leadership>;
  /** The current store revision. */
  revision(): Promise<number>;
  /** Drops history before `revision`: later watches and reads at older revisions get `CompactedError`. */
  compact(revision: number): Promise<void>;
  close(): Promise<void>;
}

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

export class CompactedError extends Error {
  override name = 'CompactedError';
  constructor(
    readonly requestedRevision: number,
    readonly compactRevision: number,
  ) {
    super(`revision ${requestedRevision} is compacted (compact revision ${compactRevision})`);
  }
}
