import { createEmbeddedStore, ELECTION_PREFIX, openEtcdStore, type Store } from '@nimbus/store';
import { type EtcdServer, startEtcd, waitUntil } from '@nimbus/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LeaderState, runAsLeader } from './leader-election.js';
import { testLogger } from './test-logger.js';

/** Two replicas campaigning in one election; records who leads and whether they ever overlapped. */
export function twoReplicas(storeA: Store, storeB: Store, ttlSeconds: number) {
  const leading = new Set<string>();
  const history: string[] = [];
  let overlapped = false;
  const states = new Map<string, LeaderState>();
  const stops = { a: new AbortController(), b: new AbortController() };
  const replica = (name: 'a' | 'b', store: Store) =>
    runAsLeader(
      {
        store,
        election: 'test-controllers',
        candidate: name,
        ttlSeconds,
        logger: testLogger,
        onStateChange: (state) => states.set(name, state),
        run: async (signal) => {
          leading.add(name);
          history.push(name);
          if (leading.size > 1) overlapped = true;
          await new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => resolve(), { once: true }),
          );
          leading.delete(name);
        },
      },
      stops[name].signal,
    );
  const done = Promise.all([replica('a', storeA), replica('b', storeB)]);
  return {
    leading,
    history,
    states,
    stops,
    overlapped: () => overlapped,
    stopAll: async () => {
      stops.a.abort();
      stops.b.abort();
      await done;
    },
  };
}

describe('runAsLeader (embedded store)', () => {
  let store: Store;
  beforeEach(() => {
    store = createEmbeddedStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('runs in one replica at a time and hands over when the leader stops', async () => {
    const replicas = twoReplicas(store, store, 2);
    await waitUntil(() => replicas.leading.size === 1);
    const first = [...replicas.leading][0] as 'a' | 'b';
    const second = first === 'a' ? 'b' : 'a';
    expect(replicas.states.get(second)).toBe('candidate');
    replicas.stops[first].abort();
    await waitUntil(() => replicas.leading.has(second));
    expect(replicas.history).toEqual([first, second]);
    expect(replicas.overlapped()).toBe(false);
    await replicas.stopAll();
    expect(replicas.states.get(first)).toBe('stopped');
  });
});

describe('runAsLeader (etcd)', () => {
  let etcd: EtcdServer;
  const stores: Store[] = [];
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await etcd?.dispose();
  });

  it('stops the leader that lost its lease and hands over to the other replica', async () => {
    const [storeA, storeB, observer] = await Promise.all(
      [0, 1, 2].map(() => openEtcdStore({ endpoints: [etcd.endpoint] })),
    );
    stores.push(storeA as Store, storeB as Store, observer as Store);
    const replicas = twoReplicas(storeA as Store, storeB as Store, 2);
    await waitUntil(() => replicas.leading.size === 1);
    const first = [...replicas.leading][0] as 'a' | 'b';
    const second = first === 'a' ? 'b' : 'a';

    // Revoked from outside, as when etcd expires a lease the leader failed to keep alive.
    const { items } = await (observer as Store).list(`${ELECTION_PREFIX}test-controllers/`);
    const leaseId = items.find((kv) => kv.value === first)?.lease;
    expect(leaseId).toBeDefined();
    const revoked = await fetch(`${etcd.endpoint}/v3/lease/revoke`, {
      method: 'POST',
      body: JSON.stringify({ ID: leaseId }),
    });
    expect(revoked.ok).toBe(true);

    await waitUntil(() => replicas.leading.has(second) && !replicas.leading.has(first), {
      timeoutMs: 10_000,
      message: `replica ${second} to lead and ${first} to stop`,
    });
    await waitUntil(() => replicas.states.get(first) === 'candidate', {
      message: `replica ${first} to stand as a candidate again`,
    });
    expect(replicas.history).toEqual([first, second]);
    await replicas.stopAll();
  });
});
