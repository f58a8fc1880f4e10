import { createEmbeddedStore, type Store } from '@nimbus/store';
import { waitUntil } from '@nimbus/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
