import { CompactedError, type KeyValue, type WatchEvent } from '../store.js';

/** One write applied by `Mvcc.apply`: a put (with the lease to bind, if any) or a delete. */
export type Write =
  | { type: 'put'; key: string; value: string; lease?: string }
  | { type: 'delete'; key: string };

/** The events of one revision, with each previous value, as a watch delivers them. */
export interface RevisionBatch {
  revision: number;
  events: WatchEvent[];
}

/** A key's state from `revision` on: its value, or undefined once deleted. */
interface Version {
  revision: number;
  kv: KeyValue | undefined;
}

export interface RangeQuery {
  after?: string;
  limit?: number;
  revision?: number;
}

/**
 * Multi-version key space: one revision counter, every version of every key
 * since the compact revision, and the per-revision change log that watches
 * replay. Reads at an old revision pick, for each key, its last version at or
 * before that revision, as etcd's MVCC store does.
 */
export class Mvcc {
  revision = 0;
  compactRevision = 0;
  private readonly versions = new Map<string, Version[]>();
  /** Every key with kept versions, sorted, so ranges are a binary search and a scan. */
  private readonly keys: string[] = [];
  private log: RevisionBatch[] = [];

  get(key: string): KeyValue | undefined {
    return this.versions.get(key)?.at(-1)?.kv;
  }

  /** Keys starting with `prefix` at a revision, in key order: `more` when the limit cut the scan short. */
  range(prefix: string, query: RangeQuery = {}): { items: KeyValue[]; revision: number; more: boolean } {
    const revision = query.revision ?? this.revision;
    this.assertReadable(revision);
    const from = query.after !== undefined && query.after >= prefix ? `${query.after}\0` : prefix;
    const items: KeyValue[] = [];
    const limit = query.limit && query.limit > 0 ? query.limit : Number.POSITIVE_INFINITY;
    for (let index = lowerBound(this.keys, from); index < this.keys.length; index++) {
      const key = this.keys[index] as string;
      if (!key.startsWith(prefix)) break;
      const kv = versionAt(this.versions.get(key) ?? [], revision);
      if (!kv) continue;
      if (items.length === limit) return { items, revision, more: true };
      items.push(kv);
    }
    return { items, revision, more: false };
  }

  /** Applies the writes at one new revision and returns its batch of events. */
  apply(writes: Write[]): RevisionBatch {
    const revision = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const write of writes) {
      const prev = this.get(write.key);
      if (write.type === 'delete') {
        if (!prev) continue;
        this.record(write.key, { revision, kv: undefined });
        events.push({ type: 'delete', key: write.key, revision, prev });
        continue;
      }
      const kv: KeyValue = {
        key: write.key,
        value: write.value,
        createRevision: prev?.createRevision ?? revision,
        modRevision: revision,
        version: (prev?.version ?? 0) + 1,
        ...(write.lease ? { lease: write.lease } : {}),
      };
      this.record(write.key, { revision, kv });
      events.push(prev ? { type: 'put', kv, prev } : { type: 'put', kv });
    }
    this.revision = revision;
    const batch = { revision, events };
    this.log.push(batch);
    return batch;
  }

  /** The logged batches from `fromRevision` on; `CompactedError` when they are gone. */
  batchesFrom(fromRevision: number): RevisionBatch[] {
    this.assertReadable(fromRevision);
    const start = lowerBoundBy(this.log, fromRevision, (batch) => batch.revision);
    return this.log.slice(start);
  }

  /** Drops every version and log entry that no read at or after `revision` can see. */
  compact(revision: number): void {
    if (revision <= this.compactRevision) {
      throw new CompactedError(revision, this.compactRevision);
    }
    if (revision > this.revision) {
      throw new RangeError(`cannot compact at ${revision}: the store is at revision ${this.revision}`);
    }
    this.compactRevision = revision;
    this.log = this.log.filter((batch) => batch.revision >= revision);
    for (const [key, versions] of this.versions) {
      const firstKept = Math.max(
        0,
        versions.findLastIndex((version) => version.revision <= revision),
      );
      const kept = versions.slice(firstKept);
      if (kept[0] && kept[0].revision <= revision && !kept[0].kv) kept.shift();
      if (kept.length === 0) {
        this.versions.delete(key);
        this.keys.splice(lowerBound(this.keys, key), 1);
      } else {
        this.versions.set(key, kept);
      }
    }
  }

  private assertReadable(revision: number): void {
    if (revision < this.compactRevision) throw new CompactedError(revision, this.compactRevision);
  }

  private record(key: string, version: Version): void {
    const versions = this.versions.get(key);
    if (versions) {
      versions.push(version);
      return;
    }
    this.versions.set(key, [version]);
    this.keys.splice(lowerBound(this.keys, key), 0, key);
  }
}

function versionAt(versions: Version[], revision: number): KeyValue | undefined {
  for (let index = versions.length - 1; index >= 0; index--) {
    const version = versions[index] as Version;
    if (version.revision <= revision) return version.kv;
  }
  return undefined;
}

function lowerBound(sorted: readonly string[], target: string): number {
  return lowerBoundBy(sorted, target, (item) => item);
}

function lowerBoundBy<T, K>(sorted: readonly T[], target: K, keyOf: (item: T) => K): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (keyOf(sorted[middle] as T) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
