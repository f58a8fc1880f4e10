import { waitUntil } from '@nimbus/testkit';
import { beforeEach, expect, it } from 'vitest';
import { ELECTION_PREFIX } from '../election.js';
import type { Leadership, Store } from '../store.js';
import type { ContractContext } from './contract-context.js';

/** Lease expiry, keep-alive and revocation, and leader elections. */
export function leaseAndElectionCases(context: ContractContext): void {
  let store: Store;
  beforeEach(() => {
    store = context.store();
  });
  const watch = (prefix: string, fromRevision: number) => context.watch(prefix, fromRevision);

  it('deletes the keys of an expired lease and emits their delete events', async () => {
    const lease = await store.grantLease(1, { autoKeepAlive: false });
    const created = await store.create('/t/l/a', 'leased', { lease: lease.id });
    if (!created.ok) throw new Error('create failed');
    expect(await store.get('/t/l/a')).toMatchObject({ lease: lease.id });
    const watching = watch('/t/l/', created.revision + 1);

    await waitUntil(() => lease.lost.aborted, { message: 'the lease to expire' });
    await waitUntil(async () => (await store.get('/t/l/a')) === undefined, {
      message: 'the leased key to go',
    });
    await waitUntil(() => watching.batches.length >= 1, { message: 'the delete event' });
    expect(watching.batches[0]).toMatchObject([{ type: 'delete', key: '/t/l/a', prev: { value: 'leased' } }]);
    expect(await store.keepAliveOnce(lease.id)).toBe(false);
  });

  it('keeps a lease alive once on request, and revoking it deletes its keys', async () => {
    const lease = await store.grantLease(5, { autoKeepAlive: false });
    await store.create('/t/k/a', 'leased', { lease: lease.id });
    expect(await store.keepAliveOnce(lease.id)).toBe(true);
    expect(lease.lost.aborted).toBe(false);
    await lease.revoke();
    expect(lease.lost.aborted).toBe(true);
    expect(await store.get('/t/k/a')).toBeUndefined();
    expect(await store.keepAliveOnce(lease.id)).toBe(false);
  });

  it('never reports lost a lease that someone else keeps alive in time', async () => {
    // As compute keeps each worker's lease alive from the worker's heartbeats.
    const lease = await store.grantLease(3, { autoKeepAlive: false });
    await store.create('/t/k/heartbeat', 'leased', { lease: lease.id });
    const until = Date.now() + 7_500;
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 2_400));
      expect(await store.keepAliveOnce(lease.id)).toBe(true);
      expect(lease.lost.aborted).toBe(false);
    }
    expect(await store.get('/t/k/heartbeat')).toBeDefined();
    await lease.revoke();
  });

  async function candidates(election: string): Promise<string[]> {
    return (await store.list(`${ELECTION_PREFIX}${election}/`)).items.map((kv) => kv.value);
  }

  it('lets one candidate lead at a time and hands over when the leader resigns', async () => {
    const first = await store.campaign('e1', 'first', { ttlSeconds: 5 });
    let second: Leadership | undefined;
    const pending = store.campaign('e1', 'second', { ttlSeconds: 5 }).then((leadership) => {
      second = leadership;
      return leadership;
    });
    await waitUntil(async () => (await candidates('e1')).length === 2, { message: 'the second candidacy' });
    expect(second).toBeUndefined();
    expect(first.lost.aborted).toBe(false);

    await first.resign();
    expect(first.lost.aborted).toBe(true);
    const next = await pending;
    expect(next.lost.aborted).toBe(false);
    expect(await candidates('e1')).toEqual(['second']);
    await next.resign();
    expect(await candidates('e1')).toEqual([]);
  });

  it('hands over leadership when the leader loses its lease', async () => {
    const lease = await store.grantLease(1, { autoKeepAlive: false });
    const first = await store.campaign('e2', 'first', { lease });
    const pending = store.campaign('e2', 'second', { ttlSeconds: 5 });
    const next = await pending;
    expect(await candidates('e2')).toEqual(['second']);
    // The old leader learns it on its own schedule (etcd: its next lease check), not before the new one leads.
    await waitUntil(() => first.lost.aborted && lease.lost.aborted, {
      timeoutMs: 5_000,
      message: 'the old leader to learn that its lease is gone',
    });
    await next.resign();
  });

  it('stops a campaign with an AbortError when its signal aborts', async () => {
    const leader = await store.campaign('e3', 'leader', { ttlSeconds: 5 });
    const controller = new AbortController();
    const pending = store.campaign('e3', 'patient', { ttlSeconds: 5, signal: controller.signal });
    await waitUntil(async () => (await candidates('e3')).length === 2, { message: 'the second candidacy' });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(await candidates('e3')).toEqual(['leader']);
    expect(leader.lost.aborted).toBe(false);
    await leader.resign();
  });
}
