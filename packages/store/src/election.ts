import { LeaseLostError } from './lease-lost-error.js';
import type { CampaignOptions, KeyValue, Leadership, Lease, Store } from './store.js';

/** Where candidacies live: `<prefix><election>/<lease id>`, valued with the candidate's name. */
export const ELECTION_PREFIX = '/nimbus/elections/';

/**
 * Leader election on any `Store`, as etcd's concurrency package does it: each
 * candidate creates a key bound to its lease, the oldest key (lowest create
 * revision) leads, and every other candidate waits for the deletion of the key
 * just ahead of it. A leader that crashes loses its lease, so its key goes and
 * the next in line takes over; nobody herds on one key.
 */
export async function campaignOn(
  store: Store,
  election: string,
  candidate: string,
  options: CampaignOptions = {},
): Promise<Leadership> {
  const { signal } = options;
  if (signal?.aborted) throw abortError(election);
  const lease = options.lease ?? (await store.grantLease(options.ttlSeconds ?? 10));
  const prefix = `${ELECTION_PREFIX}${election}/`;
  const key = `${prefix}${lease.id}`;
  const withdraw = async () => {
    if (!options.lease) return lease.revoke();
    const current = await store.get(key);
    if (current) await store.delete(key, current.modRevision);
  };
  try {
    const created = await store.create(key, candidate, { lease: lease.id });
    if (!created.ok) throw new Error(`lease ${lease.id} already campaigns in election "${election}"`);
    const since = await waitForTurn(store, election, key, lease, signal);
    return lead(store, key, since, lease, withdraw);
  } catch (error) {
    await withdraw().catch(() => {});
    throw error;
  }
}

/** Returns the revision at which `key` became the oldest candidacy. */
async function waitForTurn(
  store: Store,
  election: string,
  key: string,
  lease: Lease,
  signal: AbortSignal | undefined,
): Promise<number> {
  const prefix = key.slice(0, key.lastIndexOf('/') + 1);
  for (;;) {
    const { items, revision } = await store.list(prefix);
    const mine = items.find((kv) => kv.key === key);
    if (!mine) throw lease.lost.reason ?? new LeaseLostError(lease.id, 'expired');
    const ahead = items.filter((kv) => kv.createRevision < mine.createRevision);
    if (ahead.length === 0) return revision;
    const predecessor = ahead.reduce((a, b) => (a.createRevision > b.createRevision ? a : b));
    await waitForDeletion(store, predecessor, revision + 1, AbortSignal.any(compact([signal, lease.lost])));
    if (signal?.aborted) throw abortError(election);
    if (lease.lost.aborted) throw lease.lost.reason;
  }
}

async function waitForDeletion(store: Store, kv: KeyValue, fromRevision: number, signal: AbortSignal) {
  for await (const batch of store.watch(kv.key, { fromRevision, signal })) {
    if (batch.some((event) => event.type === 'delete' && event.key === kv.key)) return;
  }
}

function lead(
  store: Store,
  key: string,
  since: number,
  lease: Lease,
  withdraw: () => Promise<void>,
): Leadership {
  const lost = new AbortController();
  const onLeaseLost = () => lost.abort(lease.lost.reason);
  lease.lost.addEventListener('abort', onLeaseLost, { once: true });
  lost.signal.addEventListener('abort', () => lease.lost.removeEventListener('abort', onLeaseLost));
  if (lease.lost.aborted) onLeaseLost();
  const watchOwnKey = async () => {
    for await (const batch of store.watch(key, { fromRevision: since + 1, signal: lost.signal })) {
      if (batch.some((event) => event.type === 'delete' && event.key === key)) {
        lost.abort(new Error(`candidacy ${key} was deleted`));
      }
    }
  };
  watchOwnKey().catch((error: unknown) => lost.abort(error));
  return {
    lost: lost.signal,
    async resign() {
      lost.abort(new Error('resigned'));
      await withdraw();
    },
  };
}

function abortError(election: string): DOMException {
  return new DOMException(`campaign in election "${election}" aborted`, 'AbortError');
}

function compact<T>(items: (T | undefined)[]): T[] {
  return items.filter((item): item is T => item !== undefined);
}
