import { type EtcdServer, freePort, startEtcd, waitUntil } from '@nimbus/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEtcdStore } from './etcd-store.js';
import { type Store, StoreUnavailableError, type WatchEvent } from './store.js';

/** The bound the store promises while etcd is away, with room for a busy 2-core machine. */
const FAIL_FAST_MS = 3_000;

async function rejectsQuickly(call: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
  return performance.now() - started;
}

describe('etcd store when etcd goes away and comes back', () => {
  let etcd: EtcdServer;
  let store: Store;
  beforeAll(async () => {
    etcd = await startEtcd();
    store = await openEtcdStore({ endpoints: [etcd.endpoint], namespace: '/faults' });
  });
  afterAll(async () => {
    await store?.close();
    await etcd?.dispose();
  });

  it('fails fast while etcd is stopped, then recovers calls and open watches without a new store', async () => {
    const created = await store.create('/w/before', 'v1');
    if (!created.ok) throw new Error('create failed');
    const lease = await store.grantLease(30, { autoKeepAlive: false });
    const seen: WatchEvent[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const batch of store.watch('/w/', {
        fromRevision: created.revision,
        signal: controller.signal,
      })) {
        seen.push(...batch);
      }
    })();
    await waitUntil(() => seen.length === 1, { message: 'the replayed create' });

    await etcd.stop();
    const durations = [
      await rejectsQuickly(() => store.get('/w/before')),
      await rejectsQuickly(() => store.list('/w/')),
      await rejectsQuickly(() => store.create('/w/during', 'v')),
      await rejectsQuickly(() => store.update('/w/before', 'v2', created.revision)),
      await rejectsQuickly(() => store.txn([{ type: 'check', key: '/w/before', expectedRevision: 0 }])),
      await rejectsQuickly(() => store.revision()),
      await rejectsQuickly(() => store.grantLease(5)),
      await rejectsQuickly(() => store.keepAliveOnce(lease.id)),
    ];
    for (const duration of durations) expect(duration).toBeLessThan(FAIL_FAST_MS);

    await etcd.start();
    await waitUntil(async () => (await store.get('/w/before'))?.value === 'v1', {
      timeoutMs: 15_000,
      message: 'reads to work again',
    });
    const updated = await store.update('/w/before', 'v2', created.revision);
    expect(updated.ok).toBe(true);
    expect(await store.keepAliveOnce(lease.id)).toBe(true);
    await waitUntil(() => seen.length === 2, {
      timeoutMs: 15_000,
      message: 'the watch to deliver the update',
    });
    expect(seen[1]).toMatchObject({
      type: 'put',
      kv: { key: '/w/before', value: 'v2' },
      prev: { value: 'v1' },
    });

    controller.abort();
    await watching;
  });
});

describe('opening an etcd store', () => {
  it('rejects quickly with the endpoint named when nothing listens there', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const started = performance.now();
    const opening = openEtcdStore({ endpoints: [endpoint] });
    await expect(opening).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(opening).rejects.toThrow(endpoint);
    expect(performance.now() - started).toBeLessThan(FAIL_FAST_MS);
  });
});
