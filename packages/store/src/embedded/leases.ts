import { LeaseLostError } from '../lease-lost-error.js';

interface LeaseEntry {
  id: string;
  ttlSeconds: number;
  keys: Set<string>;
  lost: AbortController;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The embedded store's leases. A lease kept alive by this process
 * (`autoKeepAlive`) cannot miss a heartbeat, so it has no timer and lives
 * until revoked; any other lease expires `ttlSeconds` after its grant or its
 * last `keepAliveOnce`, and `onExpire` deletes its keys.
 */
export class LeaseTable {
  private readonly leases = new Map<string, LeaseEntry>();
  private nextId = 0x1000;

  constructor(private readonly onExpire: (id: string, keys: string[]) => void) {}

  grant(ttlSeconds: number, autoKeepAlive: boolean): { id: string; lost: AbortSignal } {
    if (!(ttlSeconds >= 1)) throw new RangeError(`a lease TTL must be at least 1 second, got ${ttlSeconds}`);
    const id = (this.nextId++).toString(10);
    const entry: LeaseEntry = {
      id,
      ttlSeconds,
      keys: new Set(),
      lost: new AbortController(),
      timer: undefined,
    };
    this.leases.set(id, entry);
    if (!autoKeepAlive) this.arm(entry);
    return { id, lost: entry.lost.signal };
  }

  has(id: string): boolean {
    return this.leases.has(id);
  }

  keepAliveOnce(id: string): boolean {
    const entry = this.leases.get(id);
    if (!entry) return false;
    if (entry.timer) this.arm(entry);
    return true;
  }

  /** Records which lease a key is bound to (or none), as each write commits. */
  bind(key: string, previous: string | undefined, next: string | undefined): void {
    if (previous) this.leases.get(previous)?.keys.delete(key);
    if (next) this.leases.get(next)?.keys.add(key);
  }

  /** Forgets the lease and returns its keys, for the caller to delete. */
  remove(id: string, reason: LeaseLostError['reason']): string[] {
    const entry = this.leases.get(id);
    if (!entry) return [];
    this.leases.delete(id);
    clearTimeout(entry.timer);
    entry.lost.abort(new LeaseLostError(id, reason));
    return [...entry.keys];
  }

  /** Drops every lease without deleting keys: the store is closing. */
  clear(): void {
    for (const id of [...this.leases.keys()]) this.remove(id, 'store closed');
  }

  private arm(entry: LeaseEntry): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(
      () => this.onExpire(entry.id, this.remove(entry.id, 'expired')),
      entry.ttlSeconds * 1000,
    );
    entry.timer.unref();
  }
}
